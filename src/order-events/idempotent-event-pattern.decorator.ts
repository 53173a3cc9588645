import { applyDecorators, SetMetadata, UseFilters } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { ConsumerExceptionFilter } from './consumer-exception.filter';

export const IDEMPOTENT_HANDLER = 'billing:idempotent-handler';

/**
 * The only supported way to consume an event: the handler runs the exactly-once flow (OrderCompletedFlow) and its
 * failures reach the transport unchanged. A bare @EventPattern is refused at boot by IdempotencyGuardrail.
 */
export function IdempotentEventPattern(pattern: string): MethodDecorator {
  return applyDecorators(EventPattern<string>(pattern), UseFilters(ConsumerExceptionFilter), SetMetadata(IDEMPOTENT_HANDLER, true));
}
