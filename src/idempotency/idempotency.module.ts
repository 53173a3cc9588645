import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdempotencyService } from './idempotency.service';
import { ProcessedEvent } from './processed-event.entity';
import { ProcessedEventsRepository } from './processed-events.repository';

@Module({
  imports: [TypeOrmModule.forFeature([ProcessedEvent])],
  providers: [ProcessedEventsRepository, IdempotencyService],
  exports: [IdempotencyService, ProcessedEventsRepository],
})
export class IdempotencyModule {}
