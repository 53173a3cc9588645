import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { IdempotencyGuardrail } from './idempotency.guardrail';
import { IdempotencyService } from './idempotency.service';
import { ProcessedEventsRepository } from './processed-events.repository';

@Module({
  imports: [DiscoveryModule],
  providers: [ProcessedEventsRepository, IdempotencyService, IdempotencyGuardrail],
  exports: [IdempotencyService, ProcessedEventsRepository],
})
export class IdempotencyModule {}
