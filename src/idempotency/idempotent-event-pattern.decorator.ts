import { applyDecorators, SetMetadata, UseFilters, UseInterceptors } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { ConsumerExceptionFilter } from '../order-events/consumer-exception.filter';
import { IdempotencyInterceptor } from './idempotency.interceptor';

export const IDEMPOTENT_HANDLER = 'billing:idempotent-handler';

/**
 * The only supported way to consume an event: claim, handler and failure policy come together.
 * A bare @EventPattern is refused at boot by IdempotencyGuardrail.
 */
export function IdempotentEventPattern(pattern: string): MethodDecorator {
  return applyDecorators(
    EventPattern(pattern),
    UseInterceptors(IdempotencyInterceptor),
    UseFilters(ConsumerExceptionFilter),
    SetMetadata(IDEMPOTENT_HANDLER, true),
  );
}
