import { LoggingConfig, RetentionConfig } from '../config/configuration';
import { TransactionRunner } from '../database/transaction-runner';
import { BillingMetrics } from '../observability/billing-metrics';
import { createRootLogger } from '../observability/root-logger';
import { InvoicedEvent, StaleEventDetector } from './stale-event.detector';
import { inlineDatabase } from '../../test/support/builders';
import { jsonLinesSink } from '../../test/support/log-lines';

const NOW = new Date('2026-11-23T10:00:00Z');

const invoiced = (outcome: InvoicedEvent['outcome'], occurredAt?: Date): InvoicedEvent => ({
  event: { eventId: `e-${outcome}`, orderId: 'o-1', tenantId: 'acme', amount: '1.00', currency: 'USD', occurredAt },
  outcome,
});

describe('StaleEventDetector', () => {
  let metrics: BillingMetrics;
  let lines: Record<string, unknown>[];
  let transactions: TransactionRunner;
  let detector: StaleEventDetector;

  beforeEach(() => {
    metrics = new BillingMetrics();
    const { sink, lines: written } = jsonLinesSink();
    lines = written;
    transactions = inlineDatabase().transactions; // commits unless the work throws; the runner is the real one
    detector = new StaleEventDetector(
      new RetentionConfig({ retentionDays: 30, cleanupCron: '0 3 * * *', cleanupBatchSize: 1000 }),
      { now: () => NOW },
      metrics,
      transactions,
      createRootLogger(new LoggingConfig({ level: 'info', format: 'json' }), sink),
    );
  });

  const staleCount = async () => (await metrics.staleEvents.get()).values[0]?.value ?? 0;
  const old = new Date(NOW.getTime() - 31 * 86_400_000);

  it('counts and logs stale events of a batch only once its transaction commits', async () => {
    await transactions.run(async () => {
      detector.inspect([invoiced('duplicate'), invoiced('invoiced', old), invoiced('invoiced', NOW), invoiced('duplicate_order')]);
      expect(await staleCount()).toBe(0);
    });
    expect(await staleCount()).toBe(2);
    expect(lines.map((l) => [l.reason, l.event_id, l.context])).toEqual([
      ['claim_purged', 'e-duplicate', 'StaleEvents'],
      ['older_than_retention', 'e-invoiced', 'StaleEvents'],
    ]);
  });

  it('records nothing for a transaction that rolls back, so its retry counts once', async () => {
    const attempt = (fail: boolean) =>
      transactions.run(() => {
        detector.inspect([invoiced('duplicate')]);
        return fail ? Promise.reject(new Error('lock timeout')) : Promise.resolve();
      });
    await expect(attempt(true)).rejects.toThrow('lock timeout');
    expect(await staleCount()).toBe(0);
    await attempt(false);
    expect(await staleCount()).toBe(1);
    expect(lines).toHaveLength(1);
  });
});
