import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock';
import { RetentionConfig } from '../config/configuration';
import { BillingMetrics } from '../observability/billing-metrics';
import { OrderCompletedEvent } from '../order-events/order-completed.event';
import { InvoicesRepository } from './invoices.repository';

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
    private readonly invoices: InvoicesRepository,
  ) {}

  /** Called once the event was claimed, with what the invoice insert did. */
  async inspect(event: OrderCompletedEvent, outcome: 'invoiced' | 'duplicate_order'): Promise<void> {
    const reason = (await this.wasPurged(event, outcome)) ? 'claim_purged' : this.isOlderThanRetention(event) ? 'older_than_retention' : null;
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

  /** A fresh claim, yet an invoice of this very event exists: its claim was purged and this is a redelivery. */
  private async wasPurged(event: OrderCompletedEvent, outcome: 'invoiced' | 'duplicate_order'): Promise<boolean> {
    if (outcome !== 'duplicate_order') return false;
    return (await this.invoices.findEventIdOfOrder(event.tenantId, event.orderId)) === event.eventId;
  }

  private isOlderThanRetention(event: OrderCompletedEvent): boolean {
    if (!event.occurredAt) return false;
    return this.clock.now().getTime() - event.occurredAt.getTime() > this.retention.retentionDays * DAY_MS;
  }
}
