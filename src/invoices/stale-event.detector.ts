import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock';
import { RetentionConfig } from '../config/configuration';
import { BillingMetrics } from '../observability/billing-metrics';
import { OrderCompletedEvent } from './order-completed.event';
import { InvoiceOutcome } from './invoice-outcome';

const DAY_MS = 86_400_000;

/**
 * Claims live RETENTION_DAYS; an event older than that can no longer be deduplicated by event_id and only
 * the (tenant_id, order_id) backstop protects it. Such events are logged at warn and counted.
 */
@Injectable()
export class StaleEventDetector {
  private readonly logger = new Logger('StaleEvents');

  constructor(
    private readonly retention: RetentionConfig,
    private readonly clock: Clock,
    private readonly metrics: BillingMetrics,
  ) {}

  /** Called once the event was claimed, with what the invoice insert did; 'duplicate' means its claim had been purged. */
  inspect(event: OrderCompletedEvent, outcome: InvoiceOutcome): void {
    const reason = outcome === 'duplicate' ? 'claim_purged' : this.isOlderThanRetention(event) ? 'older_than_retention' : null;
    if (!reason) return;
    this.metrics.staleEvents.inc();
    this.logger.warn({
      msg: 'stale order.completed: beyond the claim retention, only the (tenant_id, order_id) key deduplicates it',
      reason,
      outcome,
      event_id: event.eventId,
      tenant_id: event.tenantId,
      order_id: event.orderId,
      occurred_at: event.occurredAt?.toISOString() ?? null,
      retention_days: this.retention.retentionDays,
    });
  }

  private isOlderThanRetention(event: OrderCompletedEvent): boolean {
    if (!event.occurredAt) return false;
    return this.clock.now().getTime() - event.occurredAt.getTime() > this.retention.retentionDays * DAY_MS;
  }
}
