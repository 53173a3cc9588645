import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { Clock } from '../common/clock';
import { RetentionConfig } from '../config/configuration';
import { BillingMetrics } from '../observability/billing-metrics';
import { OrderCompletedEvent } from './order-completed.event';
import { InvoiceOutcome } from './invoice-outcome';
import { ROOT_LOGGER } from '../observability/root-logger';

const DAY_MS = 86_400_000;

/**
 * Claims live RETENTION_DAYS; an event older than that can no longer be deduplicated by event_id and only
 * the (tenant_id, order_id) backstop protects it. Such events are logged at warn and counted.
 */
@Injectable()
export class StaleEventDetector {
  private readonly logger: Logger;

  constructor(
    private readonly retention: RetentionConfig,
    private readonly clock: Clock,
    private readonly metrics: BillingMetrics,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ context: 'StaleEvents' });
  }

  /** Called once the event was claimed, with what the invoice insert did; 'duplicate' means its claim had been purged. */
  inspect(event: OrderCompletedEvent, outcome: InvoiceOutcome): void {
    const reason = outcome === 'duplicate' ? 'claim_purged' : this.isOlderThanRetention(event) ? 'older_than_retention' : null;
    if (!reason) return;
    this.metrics.staleEvents.inc();
    this.logger.warn(
      {
        reason,
        outcome,
        event_id: event.eventId,
        tenant_id: event.tenantId,
        order_id: event.orderId,
        occurred_at: event.occurredAt?.toISOString() ?? null,
        retention_days: this.retention.retentionDays,
      },
      'stale order.completed: beyond the claim retention, only the (tenant_id, order_id) key deduplicates it',
    );
  }

  private isOlderThanRetention(event: OrderCompletedEvent): boolean {
    if (!event.occurredAt) return false;
    return this.clock.now().getTime() - event.occurredAt.getTime() > this.retention.retentionDays * DAY_MS;
  }
}
