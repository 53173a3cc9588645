import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ConsumerOffsetsModule } from '../consumer-offsets/consumer-offsets.module';
import { OutboxModule } from '../outbox/outbox.module';
import { ConsumerHealth } from './consumer-health';
import { HealthController } from './health.controller';

@Module({
  imports: [TerminusModule, ConsumerOffsetsModule, OutboxModule],
  controllers: [HealthController],
  providers: [ConsumerHealth],
  exports: [ConsumerHealth],
})
export class HealthModule {}
