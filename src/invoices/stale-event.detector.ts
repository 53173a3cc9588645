import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { Clock } from '../common/clock';
import { RetentionConfig } from '../config/configuration';
import { TransactionRunner } from '../database/transaction-runner';
import { BillingMetrics } from '../observability/billing-metrics';
import { ROOT_LOGGER } from '../observability/root-logger';
import { OrderCompletedEvent } from './order-completed.event';
import { InvoiceOutcome } from './invoice-outcome';

const DAY_MS = 86_400_000;

export interface InvoicedEvent {
  event: OrderCompletedEvent;
  outcome: InvoiceOutcome;
}

type StaleReason = 'claim_purged' | 'older_than_retention';

/**
 * Claims live RETENTION_DAYS; an event older than that can no longer be deduplicated by event_id and only
 * the (tenant_id, order_id) backstop protects it. Such events are logged at warn and counted, once their
 * transaction commits: a group that rolls back and is retried counts once.
 */
@Injectable()
export class StaleEventDetector {
  private readonly logger: Logger;

  constructor(
    private readonly retention: RetentionConfig,
    private readonly clock: Clock,
    private readonly metrics: BillingMetrics,
    private readonly transactions: TransactionRunner,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ context: 'StaleEvents' });
  }

  /**
   * Called with what the one invoice statement of a batch did for its claimed events (no query of its own);
   * 'duplicate' means the event's claim had been purged.
   */
  inspect(invoiced: readonly InvoicedEvent[]): void {
    const stale = invoiced.flatMap((item) => {
      const reason = this.reasonOf(item);
      return reason ? [{ ...item, reason }] : [];
    });
    if (stale.length > 0) this.transactions.afterCommit(() => stale.forEach((item) => this.report(item)));
  }

  private reasonOf({ event, outcome }: InvoicedEvent): StaleReason | null {
    if (outcome === 'duplicate') return 'claim_purged';
    return this.isOlderThanRetention(event) ? 'older_than_retention' : null;
  }

  private report({ event, outcome, reason }: InvoicedEvent & { reason: StaleReason }): void {
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
