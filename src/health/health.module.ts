import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ConsumerOffsetsModule } from '../consumer-offsets/consumer-offsets.module';
import { ConsumerHealth } from './consumer-health';
import { HealthController } from './health.controller';

@Module({
  imports: [TerminusModule, ConsumerOffsetsModule],
  controllers: [HealthController],
  providers: [ConsumerHealth],
  exports: [ConsumerHealth],
})
export class HealthModule {}
