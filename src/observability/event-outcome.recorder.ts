import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { RetentionConfig } from '../config/configuration';
import { BillingMetrics } from './billing-metrics';
import { EventOutcome } from './event-outcome';

export type { EventOutcome } from './event-outcome';
import { FIXED_SHAPE_REDACTION, ROOT_LOGGER } from './root-logger';

export interface MessageCoordinates {
  topic: string;
  partition: number;
  offset: string;
}

export interface EventIdentity {
  eventId?: string;
  orderId?: string;
  tenantId?: string;
}

export interface OutcomeDetails {
  message: MessageCoordinates;
  event?: EventIdentity;
  error?: unknown;
  durationMs?: number;
  /** For a duplicate: how long after its first processing the replay arrived. */
  duplicateAgeMs?: number;
}

const LEVEL: Record<EventOutcome, 'info' | 'warn' | 'error'> = {
  invoiced: 'info',
  duplicate: 'info',
  duplicate_order: 'info',
  conflict: 'error',
  poison: 'warn',
};

/** The single place where the consumer reports what it decided for each message: one structured line and the counters. */
@Injectable()
export class EventOutcomeRecorder {
  private readonly logger: Logger;
  private readonly retentionMs: number;

  constructor(
    private readonly metrics: BillingMetrics,
    @Inject(ROOT_LOGGER) root: Logger,
    retention: RetentionConfig,
  ) {
    this.logger = root.child({ context: 'OrderEventsConsumer' }, { redact: FIXED_SHAPE_REDACTION });
    this.retentionMs = retention.retentionDays * 86_400_000;
  }

  record(outcome: EventOutcome, details: OutcomeDetails): void {
    const { message, event, error } = details;
    this.metrics.events.inc({ outcome });
    if (details.durationMs !== undefined) this.metrics.processingSeconds.observe(details.durationMs / 1000);
    if (details.duplicateAgeMs !== undefined) this.observeDuplicateAge(details.duplicateAgeMs);
    this.logger[LEVEL[outcome]](
      {
        outcome,
        event_id: event?.eventId ?? null,
        order_id: event?.orderId ?? null,
        tenant_id: event?.tenantId ?? null,
        topic: message.topic,
        partition: message.partition,
        offset: message.offset,
        duration_ms: details.durationMs,
        duplicate_age_ms: details.duplicateAgeMs,
        error: error instanceof Error ? { name: error.name, code: (error as { code?: unknown }).code, message: error.message } : undefined,
      },
      `order.completed ${outcome}`,
    );
  }

  private observeDuplicateAge(ageMs: number): void {
    this.metrics.duplicateAgeSeconds.observe(ageMs / 1000);
    this.metrics.duplicateAgeRetentionRatio.observe(ageMs / this.retentionMs);
  }
}
