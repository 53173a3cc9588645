import { applyDecorators, SetMetadata, UseFilters, UseInterceptors } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { ConsumerExceptionFilter } from './consumer-exception.filter';
import { IdempotentBatchInterceptor } from './idempotent-batch.interceptor';
import { IdempotencyInterceptor } from './idempotency.interceptor';

export const IDEMPOTENT_HANDLER = 'billing:idempotent-handler';

/**
 * The only supported way to consume an event: claim, handler and failure policy come together.
 * A bare @EventPattern is refused at boot by IdempotencyGuardrail.
 */
export function IdempotentEventPattern(pattern: string): MethodDecorator {
  return applyDecorators(
    EventPattern<string>(pattern),
    UseInterceptors(IdempotencyInterceptor),
    UseFilters(ConsumerExceptionFilter),
    SetMetadata(IDEMPOTENT_HANDLER, true),
  );
}

/** The pattern a batch transport dispatches a whole fetched batch of `pattern` to. */
export function batchPatternOf(pattern: string): string {
  return `${pattern}#batch`;
}

/**
 * The batch form of @IdempotentEventPattern: the handler receives the batch's claimed events (take them
 * with AdmittedEventsPipe) and returns one result per event, in order.
 */
export function IdempotentBatchPattern(pattern: string): MethodDecorator {
  return applyDecorators(
    EventPattern<string>(batchPatternOf(pattern)),
    UseInterceptors(IdempotentBatchInterceptor),
    UseFilters(ConsumerExceptionFilter),
    SetMetadata(IDEMPOTENT_HANDLER, true),
  );
}
