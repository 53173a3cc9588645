import { Module } from '@nestjs/common';
import { IdempotencyService } from './idempotency.service';
import { ProcessedEventsRepository } from './processed-events.repository';

@Module({
  providers: [ProcessedEventsRepository, IdempotencyService],
  exports: [IdempotencyService, ProcessedEventsRepository],
})
export class IdempotencyModule {}
