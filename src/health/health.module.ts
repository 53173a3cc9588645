import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ConsumerHealth } from './consumer-health';
import { HealthController } from './health.controller';

@Module({
  imports: [TerminusModule],
  controllers: [HealthController],
  providers: [ConsumerHealth],
  exports: [ConsumerHealth],
})
export class HealthModule {}
