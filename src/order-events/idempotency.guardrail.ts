import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { MessagePattern } from '@nestjs/microservices';
import { BillingError } from '../common/errors';
import { IDEMPOTENT_HANDLER } from './idempotent-event-pattern.decorator';

/** The metadata key of a message handler's pattern, read off Nest's public decorator instead of a private path. */
const PATTERN_METADATA = patternMetadataKey();

export class NonIdempotentHandlerError extends BillingError {
  readonly code = 'idempotency.handler_not_idempotent';
}

/**
 * Refuses to boot when a Kafka handler is declared without @IdempotentEventPattern, which pairs it with the consumer's
 * failure policy: a handler of its own could bypass the exactly-once flow, and a double invoice is worse than no start.
 */
@Injectable()
export class IdempotencyGuardrail implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  onModuleInit(): void {
    const offenders = this.findUnguardedHandlers();
    if (offenders.length > 0) {
      throw new NonIdempotentHandlerError(
        `Message handlers without @IdempotentEventPattern: ${offenders.join(', ')}. Declare Kafka handlers with @IdempotentEventPattern and hand their batch to OrderCompletedFlow, so every event is claimed exactly once.`,
      );
    }
  }

  findUnguardedHandlers(): string[] {
    return this.discovery.getControllers().flatMap(({ instance, metatype }) => {
      if (!instance || !metatype) return [];
      const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
      return this.scanner
        .getAllMethodNames(prototype)
        .filter((name) => {
          const method = prototype[name] as object;
          return Reflect.hasMetadata(PATTERN_METADATA, method) && !Reflect.getMetadata(IDEMPOTENT_HANDLER, method);
        })
        .map((name) => `${metatype.name}.${name}`);
    });
  }
}

function patternMetadataKey(): unknown {
  const probe = { handler: (): void => undefined };
  MessagePattern('probe')(probe, 'handler', Object.getOwnPropertyDescriptor(probe, 'handler')!);
  const keys = Reflect.getOwnMetadataKeys(probe.handler).filter((key) => JSON.stringify(Reflect.getOwnMetadata(key, probe.handler)) === '["probe"]');
  if (keys.length !== 1) throw new Error('cannot tell which metadata @MessagePattern writes');
  return keys[0];
}
