import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { OutboxModule } from '../outbox/outbox.module';
import { ConsumerHealth } from './consumer-health';
import { HealthController } from './health.controller';

@Module({
  imports: [TerminusModule, OutboxModule],
  controllers: [HealthController],
  providers: [ConsumerHealth],
  exports: [ConsumerHealth],
})
export class HealthModule {}
