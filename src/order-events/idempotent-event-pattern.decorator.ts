import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata, UseFilters, UseInterceptors } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { ConsumerExceptionFilter } from './consumer-exception.filter';
import { deliveryOf } from './delivery';
import { IdempotentBatchInterceptor } from './idempotent-batch.interceptor';
import { IdempotencyInterceptor } from './idempotency.interceptor';

export const IDEMPOTENT_HANDLER = 'billing:idempotent-handler';

/**
 * The only supported way to consume an event: claim, handler and failure policy come together. The handler
 * takes the claimed event with @ClaimedEvent().
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
 * The batch form of @IdempotentEventPattern: the handler takes the claimed events with @ClaimedBatch() (an
 * EventBatch) and returns one result per event, in order.
 */
export function IdempotentBatchPattern(pattern: string): MethodDecorator {
  return applyDecorators(
    EventPattern<string>(batchPatternOf(pattern)),
    UseInterceptors(IdempotentBatchInterceptor),
    UseFilters(ConsumerExceptionFilter),
    SetMetadata(IDEMPOTENT_HANDLER, true),
  );
}

/** The event an @IdempotentEventPattern handler is to process, as its interceptor parsed and claimed it. */
export const ClaimedEvent = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  const { events } = deliveryOf(context).claimedEvents();
  if (events.length !== 1) throw new TypeError(`@ClaimedEvent() takes one event, not ${events.length}: use @ClaimedBatch() in batch handlers`);
  return events[0];
});

/** The immutable EventBatch an @IdempotentBatchPattern handler is to process: the events its interceptor claimed in this transaction. */
export const ClaimedBatch = createParamDecorator((_data: unknown, context: ExecutionContext) => deliveryOf(context).claimedEvents());
