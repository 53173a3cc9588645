import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { PATTERN_METADATA } from '@nestjs/microservices/constants';
import { IDEMPOTENT_HANDLER } from './idempotent-event-pattern.decorator';

export class NonIdempotentHandlerError extends Error {
  readonly code = 'idempotency.handler_not_idempotent';
}

/** Refuses to boot when a message handler could bypass the claim: a double invoice is worse than no start. */
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
        `Message handlers without @IdempotentEventPattern: ${offenders.join(', ')}. Use @IdempotentEventPattern so every event is claimed exactly once.`,
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
