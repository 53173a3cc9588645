import pino from 'pino';
import { Clock } from '../common/clock';
import { OutboxConfig } from '../config/configuration';
import { TransactionRunner } from '../database/transaction-runner';
import { BillingMetrics } from '../observability/billing-metrics';
import { OutboxListener } from './outbox.listener';
import { OutboxPublisher } from './outbox.publisher';
import { OutboxPublishTimeoutError, OutboxRelay } from './outbox.relay';
import { OutboxRepository, PendingOutboxRow } from './outbox.repository';

const ROW = { id: '1', event_id: 'e', invoice_id: 'i', order_id: 'o' } as PendingOutboxRow;

function relayWith(publish: (rows: readonly PendingOutboxRow[], abandoned?: AbortSignal) => Promise<void>) {
  const config = new OutboxConfig({
    topic: 'invoice.created',
    relayEnabled: true,
    shards: 16,
    batchSize: 500,
    pollIntervalMs: 1_000,
    retryInitialMs: 200,
    retryMaxMs: 30_000,
    unhealthyAfterMs: 120_000,
    publishTimeoutMs: 50,
  });
  let transactionEnded = false;
  const transactions = {
    run: async <T>(work: () => Promise<T>) => {
      try {
        return await work();
      } finally {
        transactionEnded = true;
      }
    },
  } as unknown as TransactionRunner;
  const repository = { lockPendingBatch: jest.fn().mockResolvedValue([ROW]), markPublished: jest.fn().mockResolvedValue(undefined) };
  const relay = new OutboxRelay(
    config,
    transactions,
    repository as unknown as OutboxRepository,
    { publish } as unknown as OutboxPublisher,
    {} as OutboxListener,
    { afterPublish: () => Promise.resolve() },
    new BillingMetrics(),
    new Clock(),
    pino({ enabled: false }),
  );
  return { relayBatch: () => (relay as unknown as { relayBatch(): Promise<number> }).relayBatch(), repository, ended: () => transactionEnded };
}

describe('OutboxRelay round', () => {
  it('gives up on a publish the broker never acknowledges after OUTBOX_PUBLISH_TIMEOUT_MS: the transaction ends (its shard locks go) and nothing is marked', async () => {
    let abandoned: AbortSignal | undefined;
    const { relayBatch, repository, ended } = relayWith((_, signal) => {
      abandoned = signal;
      return new Promise<void>(() => undefined);
    });
    await expect(relayBatch()).rejects.toBeInstanceOf(OutboxPublishTimeoutError);
    expect(abandoned?.reason).toBeInstanceOf(OutboxPublishTimeoutError); // the late send leaves the shared producer to the next round
    expect(ended()).toBe(true);
    expect(repository.markPublished).not.toHaveBeenCalled();
  });

  it('marks the rows once the broker acknowledged them in time', async () => {
    const { relayBatch, repository } = relayWith(() => Promise.resolve());
    await expect(relayBatch()).resolves.toBe(1);
    expect(repository.markPublished).toHaveBeenCalledWith(['1']);
  });

  it('a publish that fails after the timeout leaves no unhandled rejection behind', async () => {
    let fail: (error: Error) => void = () => undefined;
    const { relayBatch } = relayWith(() => new Promise<void>((_, reject) => (fail = reject)));
    await expect(relayBatch()).rejects.toBeInstanceOf(OutboxPublishTimeoutError);
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    fail(new Error('broker gone'));
    await new Promise((resolve) => setImmediate(resolve));
    process.off('unhandledRejection', unhandled);
    expect(unhandled).not.toHaveBeenCalled();
  });
});
