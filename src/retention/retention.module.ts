import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { RetentionRepository } from './retention.repository';
import { RetentionScheduler } from './retention.scheduler';
import { RetentionService } from './retention.service';

@Module({
  imports: [ScheduleModule.forRoot()],
  providers: [RetentionRepository, RetentionService, RetentionScheduler],
  exports: [RetentionService],
})
export class RetentionModule {}
