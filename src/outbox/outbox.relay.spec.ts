import { Clock } from '../common/clock';
import { OutboxConfig } from '../config/configuration';
import { BillingMetrics } from '../observability/billing-metrics';
import { inlineDatabase, mockOf, outboxConfig, spiedLogger } from '../../test/support/builders';
import { OutboxFaultHook } from './outbox-fault.hook';
import { OutboxListener } from './outbox.listener';
import { OutboxPublisher } from './outbox.publisher';
import { OutboxPublishTimeoutError, OutboxRelay } from './outbox.relay';
import { OutboxRepository, PendingOutboxRow } from './outbox.repository';

const STARTED = new Date('2026-11-23T10:00:00Z');
/** One registry for the file (each BillingMetrics starts prom-client's default collectors), reset per relay. */
const metrics = new BillingMetrics();

const pendingRow = (id: string): PendingOutboxRow => ({
  id,
  insert_xid: '100',
  event_id: `e-${id}`,
  invoice_id: `i-${id}`,
  source_event_id: `s-${id}`,
  tenant_id: 'acme',
  order_id: `o-${id}`,
  amount: '5.00',
  currency: 'USD',
  invoice_created_at: STARTED,
  traceparent: null,
});
const ROW = pendingRow('1');
const cursorAt = (id: string) => ({ insertXid: '100', id });

type Publish = (rows: readonly PendingOutboxRow[], abandoned?: AbortSignal) => Promise<void>;

/** A relay whose rounds find `rounds` (one batch of rows each), then nothing. */
function relayWith(publish: Publish = () => Promise.resolve(), config: Partial<OutboxConfig> = {}, rounds: PendingOutboxRow[][] = [[ROW]]) {
  const db = inlineDatabase();
  const takeNextBatch = jest.fn<ReturnType<OutboxRepository['takeNextBatch']>, [number]>().mockResolvedValue([]);
  rounds.forEach((rows) => takeNextBatch.mockResolvedValueOnce(rows));
  const repository = mockOf(OutboxRepository, {
    takeNextBatch,
    advanceCursor: jest.fn().mockResolvedValue(undefined),
    backlog: jest.fn().mockResolvedValue({ pending: 0, oldestAgeSeconds: 0 }),
  });
  const publisher = mockOf(OutboxPublisher, { publish });
  let notify = () => {};
  const listener = mockOf(OutboxListener, {
    ensureListening: (onNotify) => Promise.resolve(void (notify = onNotify)),
    close: () => Promise.resolve(),
  });
  const now = { at: STARTED };
  const clock = mockOf(Clock, { now: () => now.at });
  metrics.registry.resetMetrics();
  const { root, lines } = spiedLogger();
  const faults = mockOf(OutboxFaultHook, { afterPublish: () => Promise.resolve() });
  const relay = new OutboxRelay(outboxConfig(config), db.transactions, repository, publisher, listener, faults, metrics, clock, root);
  const published = async () => (await metrics.outboxPublished.get()).values[0]?.value ?? 0;
  const failures = async () => (await metrics.outboxPublishFailures.get()).values[0]?.value ?? 0;
  return { relay, repository, publisher, listener, ended: db.ended, now, lines, published, failures, notify: () => notify() };
}

describe('OutboxRelay round', () => {
  it('gives up on a publish the broker never acknowledges after OUTBOX_PUBLISH_TIMEOUT_MS: the transaction ends (the cursor is freed) and the cursor stays', async () => {
    let abandoned: AbortSignal | undefined;
    const { relay, repository, ended } = relayWith((_, signal) => {
      abandoned = signal;
      return new Promise<void>(() => undefined);
    });
    await expect(relay['relayBatch']()).rejects.toBeInstanceOf(OutboxPublishTimeoutError);
    expect(abandoned?.reason).toBeInstanceOf(OutboxPublishTimeoutError); // the late send leaves the shared producer to the next round
    expect(ended).toEqual(['rollback']);
    expect(repository.advanceCursor).not.toHaveBeenCalled();
  });

  it('moves the cursor to the last row once the broker acknowledged the batch in time', async () => {
    const { relay, repository } = relayWith(() => Promise.resolve());
    await expect(relay['relayBatch']()).resolves.toBe(1);
    expect(repository.advanceCursor).toHaveBeenCalledWith(cursorAt('1'));
  });

  it('publishes nothing while another replica holds the cursor', async () => {
    const { relay, repository, publisher, ended } = relayWith();
    repository.takeNextBatch.mockReset().mockResolvedValue(null);
    await expect(relay['relayBatch']()).resolves.toBe(0);
    expect(publisher.publish).not.toHaveBeenCalled();
    expect(repository.advanceCursor).not.toHaveBeenCalled();
    expect(ended).toEqual(['commit']);
  });

  it('a publish that fails after the timeout leaves no unhandled rejection behind', async () => {
    let fail: (error: Error) => void = () => undefined;
    const { relay } = relayWith(() => new Promise<void>((_, reject) => (fail = reject)));
    await expect(relay['relayBatch']()).rejects.toBeInstanceOf(OutboxPublishTimeoutError);
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    fail(new Error('broker gone'));
    await new Promise((resolve) => setImmediate(resolve));
    process.off('unhandledRejection', unhandled);
    expect(unhandled).not.toHaveBeenCalled();
  });
});

describe('OutboxRelay loop', () => {
  let relay: OutboxRelay | undefined;

  beforeEach(() => jest.useFakeTimers());
  afterEach(async () => {
    relay?.beforeApplicationShutdown();
    await relay?.onApplicationShutdown();
    relay = undefined;
    jest.useRealTimers();
  });

  /** Starts the relay and lets it run until it waits on a timer. */
  async function started(double: ReturnType<typeof relayWith>) {
    relay = double.relay;
    double.relay.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(0);
    return double;
  }

  it('relays full batches of OUTBOX_BATCH_SIZE back to back; a shorter one has caught up, and it sleeps until the next poll', async () => {
    const double = relayWith(undefined, { batchSize: 2 }, [[pendingRow('1'), pendingRow('2')], [pendingRow('3')]]);
    const { repository, publisher, ended, published } = await started(double);

    expect(repository.advanceCursor.mock.calls).toEqual([[cursorAt('2')], [cursorAt('3')]]);
    expect(publisher.publish).toHaveBeenCalledTimes(2);
    expect(repository.takeNextBatch).toHaveBeenCalledWith(2);
    expect(ended.every((end) => end === 'commit')).toBe(true);
    expect(await published()).toBe(3);

    // No round that finds nothing: the short batch ended the drain.
    expect(repository.takeNextBatch).toHaveBeenCalledTimes(2);
    await jest.advanceTimersByTimeAsync(999);
    expect(repository.takeNextBatch).toHaveBeenCalledTimes(2);
    await jest.advanceTimersByTimeAsync(1);
    expect(repository.takeNextBatch).toHaveBeenCalledTimes(3);
  });

  it('goes round again at once when a NOTIFY came while a round ran', async () => {
    const double = relayWith(undefined, {}, []);
    let notifyMidRound = () => {};
    double.publisher.publish.mockImplementation(() => Promise.resolve(notifyMidRound()));
    const { repository, notify } = await started(double);
    notifyMidRound = () => notify();
    repository.takeNextBatch.mockResolvedValueOnce([pendingRow('5')]).mockResolvedValueOnce([pendingRow('6')]);
    notify();
    await jest.advanceTimersByTimeAsync(0);
    expect(repository.advanceCursor.mock.calls).toEqual([[cursorAt('5')], [cursorAt('6')]]);
  });

  it('reads the backlog after a round that found nothing, and at most once a second while rows keep coming', async () => {
    const double = relayWith(undefined, {}, []);
    const { repository, notify, now } = await started(double);
    expect(repository.backlog).toHaveBeenCalledTimes(1);
    const busyRound = async (afterMs: number) => {
      now.at = new Date(now.at.getTime() + afterMs);
      repository.takeNextBatch.mockResolvedValueOnce([pendingRow('7')]);
      notify();
      await jest.advanceTimersByTimeAsync(0);
    };
    await busyRound(400);
    await busyRound(500);
    expect(repository.backlog).toHaveBeenCalledTimes(1);
    await busyRound(100);
    expect(repository.backlog).toHaveBeenCalledTimes(2);
  });

  it('wakes from the poll sleep on a NOTIFY', async () => {
    const double = relayWith(undefined, {}, []);
    const { repository, notify } = await started(double);
    repository.takeNextBatch.mockResolvedValueOnce([pendingRow('4')]);
    notify();
    await jest.advanceTimersByTimeAsync(0);
    expect(repository.advanceCursor).toHaveBeenCalledWith(cursorAt('4'));
  });

  it('waits OUTBOX_LINGER_MS after a NOTIFY, so the commits of that span go out in one round', async () => {
    const double = relayWith(undefined, { lingerMs: 20 }, []);
    const { repository, notify } = await started(double);
    repository.takeNextBatch.mockClear().mockResolvedValueOnce([pendingRow('8')]);
    notify();
    notify();
    await jest.advanceTimersByTimeAsync(19);
    expect(repository.takeNextBatch).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(repository.takeNextBatch).toHaveBeenCalledTimes(1);
    expect(repository.advanceCursor).toHaveBeenCalledWith(cursorAt('8'));
  });

  it('reports the backlog it read after each round', async () => {
    const double = relayWith(undefined, {}, []);
    double.repository.backlog.mockResolvedValue({ pending: 7, oldestAgeSeconds: 12.4 });
    const { relay } = await started(double);
    expect(relay.status()).toEqual({ state: 'running', pending: 7, oldest_pending_age_seconds: 12 });
  });

  it('keeps polling when LISTEN fails', async () => {
    const double = relayWith();
    double.listener.ensureListening.mockRejectedValue(new Error('too many connections'));
    const { repository, lines } = await started(double);
    expect(lines.warn).toHaveBeenCalledWith({ error: 'Error: too many connections' }, 'outbox LISTEN failed; polling');
    expect(repository.advanceCursor).toHaveBeenCalledWith(cursorAt('1'));
  });

  it('backs off a failing round, doubling from OUTBOX_RETRY_INITIAL_MS, reports failing, and recovers', async () => {
    const double = relayWith(undefined, {}, []);
    double.repository.takeNextBatch.mockRejectedValue(new Error('connection refused'));
    const { relay, repository, failures, lines } = await started(double);
    expect(relay.status()).toEqual({
      state: 'failing',
      pending: 0,
      oldest_pending_age_seconds: 0,
      failing_since: STARTED.toISOString(),
      last_error: 'connection refused',
    });
    expect(await failures()).toBe(1);

    await jest.advanceTimersByTimeAsync(199);
    expect(repository.takeNextBatch).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(repository.takeNextBatch).toHaveBeenCalledTimes(2);
    await jest.advanceTimersByTimeAsync(399);
    expect(repository.takeNextBatch).toHaveBeenCalledTimes(2);
    await jest.advanceTimersByTimeAsync(1);
    expect(repository.takeNextBatch).toHaveBeenCalledTimes(3);
    expect(await failures()).toBe(3);

    repository.takeNextBatch.mockResolvedValue([]);
    await jest.advanceTimersByTimeAsync(800);
    expect(relay.status()).toEqual({ state: 'running', pending: 0, oldest_pending_age_seconds: 0 });
    expect(lines.info).toHaveBeenCalledWith({ failing_since: STARTED.toISOString() }, 'outbox relay recovered');
  });

  it('caps the backoff at OUTBOX_RETRY_MAX_MS', async () => {
    const double = relayWith(undefined, { retryInitialMs: 200, retryMaxMs: 500 }, []);
    double.repository.takeNextBatch.mockRejectedValue(new Error('connection refused'));
    const { repository } = await started(double);
    await jest.advanceTimersByTimeAsync(200 + 400 + 500);
    expect(repository.takeNextBatch).toHaveBeenCalledTimes(4);
    await jest.advanceTimersByTimeAsync(499);
    expect(repository.takeNextBatch).toHaveBeenCalledTimes(4);
    await jest.advanceTimersByTimeAsync(1);
    expect(repository.takeNextBatch).toHaveBeenCalledTimes(5);
  });

  it('is unhealthy once it has failed for longer than OUTBOX_UNHEALTHY_AFTER_MS', async () => {
    const double = relayWith(undefined, {}, []);
    double.repository.takeNextBatch.mockRejectedValue(new Error('connection refused'));
    const { relay, now } = await started(double);
    now.at = new Date(STARTED.getTime() + 120_000);
    expect(relay.isHealthy()).toBe(true);
    now.at = new Date(STARTED.getTime() + 120_001);
    expect(relay.isHealthy()).toBe(false);
  });

  it('is unhealthy while a row has waited longer than OUTBOX_UNHEALTHY_AFTER_MS', async () => {
    const double = relayWith(undefined, {}, []);
    double.repository.backlog.mockResolvedValue({ pending: 1, oldestAgeSeconds: 120.001 });
    const { relay } = await started(double);
    expect(relay.isHealthy()).toBe(false);
  });

  it('stops at shutdown without waiting out its sleep, and closes the listener', async () => {
    const double = relayWith(undefined, {}, []);
    double.repository.takeNextBatch.mockRejectedValue(new Error('connection refused'));
    const { relay: running, listener, repository } = await started(double);
    running.beforeApplicationShutdown();
    expect(running.status().state).toBe('stopped');
    await running.onApplicationShutdown();
    expect(listener.close).toHaveBeenCalledTimes(1);
    expect(repository.takeNextBatch).toHaveBeenCalledTimes(1);
    relay = undefined;
  });

  it('neither counts nor warns about a round that shutdown cut short', async () => {
    const double = relayWith(undefined, {}, []);
    let failRound: (error: Error) => void = () => undefined;
    double.repository.takeNextBatch.mockReturnValue(new Promise((_, reject) => (failRound = reject)));
    const { relay: running, failures, lines } = await started(double);
    running.beforeApplicationShutdown();
    failRound(new Error('Connection terminated'));
    await jest.advanceTimersByTimeAsync(200); // the loop sees the stop after the backoff it had begun
    await running.onApplicationShutdown();
    relay = undefined;
    expect(await failures()).toBe(0);
    expect(lines.warn).not.toHaveBeenCalled();
    expect(lines.debug).toHaveBeenCalledWith({ error: 'Connection terminated' }, 'outbox relay round cut short by shutdown; its rows stay pending');
  });

  it('does nothing when disabled, and counts as healthy', async () => {
    const double = relayWith(undefined, { relayEnabled: false });
    const { relay, repository, listener } = await started(double);
    expect(relay.status().state).toBe('disabled');
    expect(relay.isHealthy()).toBe(true);
    expect(repository.takeNextBatch).not.toHaveBeenCalled();
    expect(listener.ensureListening).not.toHaveBeenCalled();
  });
});
