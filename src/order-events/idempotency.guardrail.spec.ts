import { Controller } from '@nestjs/common';
import { EventPattern, MessagePattern } from '@nestjs/microservices';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { OrderEventsController } from './order-events.controller';
import { IdempotencyGuardrail, NonIdempotentHandlerError } from './idempotency.guardrail';
import { IdempotentEventPattern } from './idempotent-event-pattern.decorator';

@Controller()
class RogueController {
  @EventPattern<string>('order.completed')
  handleWithoutClaim(): void {}

  @MessagePattern('billing.query')
  answer(): string {
    return 'x';
  }
}

@Controller()
class WellBehavedController {
  @IdempotentEventPattern('order.completed')
  handle(): void {}
}

function guardrailOver(...controllers: (new (...args: never[]) => object)[]) {
  const wrappers = controllers.map((metatype) => ({ metatype, instance: Object.create(metatype.prototype) as object }));
  const discovery = { getControllers: () => wrappers } as unknown as DiscoveryService;
  return new IdempotencyGuardrail(discovery, new MetadataScanner());
}

describe('IdempotencyGuardrail', () => {
  it('names every message handler that bypasses the claim', () => {
    const guardrail = guardrailOver(RogueController, WellBehavedController);
    expect(guardrail.findUnguardedHandlers()).toEqual(['RogueController.handleWithoutClaim', 'RogueController.answer']);
    expect(() => guardrail.onModuleInit()).toThrow(NonIdempotentHandlerError);
  });

  it('accepts the service’s own consumers', () => {
    const guardrail = guardrailOver(OrderEventsController);
    expect(guardrail.findUnguardedHandlers()).toEqual([]);
    expect(() => guardrail.onModuleInit()).not.toThrow();
  });
});
