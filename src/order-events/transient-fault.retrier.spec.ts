import { Clock } from '../common/clock';
import { BillingMetrics } from '../observability/billing-metrics';
import { DeliveryRetries } from '../observability/delivery-retries';
import { MessageCoordinates } from '../observability/event-outcome.recorder';
import { consumerPolicy, mockOf, spiedLogger } from '../../test/support/builders';
import { PartitionControl, TransientFaultRetrier } from './transient-fault.retrier';

const at = (offset: string, partition = 3): MessageCoordinates => ({ topic: 'order.completed', partition, offset });
const STARTED = new Date('2026-11-23T10:00:00Z');
const metrics = new BillingMetrics();

/** A partition as the consumer drives it: whether it is paused, and where its next fetch starts. */
function partitionControl() {
  const state = { paused: false, rewoundTo: undefined as string | undefined, heartbeats: 0 };
  const control: PartitionControl = {
    heartbeat: () => Promise.resolve(void (state.heartbeats += 1)),
    pause: () => {
      state.paused = true;
      return () => void (state.paused = false);
    },
    rewind: (offset) => void (state.rewoundTo = offset),
  };
  return { control, state };
}

describe('TransientFaultRetrier', () => {
  let retries: DeliveryRetries;
  let retrier: TransientFaultRetrier;
  let lines: ReturnType<typeof spiedLogger>['lines'];

  beforeEach(() => {
    jest.useFakeTimers();
    retries = new DeliveryRetries(metrics, mockOf(Clock, { now: () => STARTED }));
    const logger = spiedLogger();
    lines = logger.lines;
    retrier = new TransientFaultRetrier(consumerPolicy({ retryInitialMs: 100, retryMaxMs: 1_000 }), retries, logger.root);
  });

  afterEach(() => {
    retrier.onApplicationShutdown();
    jest.useRealTimers();
  });

  const failing = (_isRetry: boolean): Promise<void> => Promise.reject(Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' }));
  const stuck = () => retries.stuckLongerThan(-1).map(({ topic, partition, offset, attempts }) => ({ topic, partition, offset, attempts }));

  it('delivers work that succeeds, as a first try, and leaves the partition flowing', async () => {
    const { control, state } = partitionControl();
    const work = jest.fn(() => Promise.resolve());
    await expect(retrier.deliver(at('10'), work, control)).resolves.toBe(true);
    expect(work).toHaveBeenCalledWith(false);
    expect(state).toEqual({ paused: false, rewoundTo: undefined, heartbeats: 0 });
  });

  it('parks a partition whose work fails: paused, rewound to the first message not handled, resumed after the backoff', async () => {
    const { control, state } = partitionControl();
    await expect(retrier.deliver(at('10'), failing, control)).resolves.toBe(false);
    expect(state).toMatchObject({ paused: true, rewoundTo: '10' });
    expect(stuck()).toEqual([{ topic: 'order.completed', partition: 3, offset: '10', attempts: 1 }]);
    expect(lines.warn).toHaveBeenCalledWith(
      expect.objectContaining({
        outcome: 'retrying',
        offset: '10',
        attempt: 1,
        retry_in_ms: 100,
        error: { name: 'Error', code: 'ECONNREFUSED', message: 'connection refused' },
      }),
      'order.completed retrying after a transient fault',
    );
    await jest.advanceTimersByTimeAsync(99);
    expect(state.paused).toBe(true);
    await jest.advanceTimersByTimeAsync(1);
    expect(state.paused).toBe(false);
  });

  it('doubles the backoff per failed retry of the same offset up to the maximum, and tells the work it is a retry', async () => {
    const { control } = partitionControl();
    const work = jest.fn(failing);
    for (let i = 0; i < 6; i += 1) await retrier.deliver(at('10'), work, control);
    expect(work.mock.calls.map(([isRetry]) => isRetry)).toEqual([false, true, true, true, true, true]);
    expect(lines.warn.mock.calls.map(([fields]) => (fields as { retry_in_ms: number }).retry_in_ms)).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect(stuck()).toEqual([expect.objectContaining({ offset: '10', attempts: 6 })]);
  });

  it('starts counting again when the partition fails at another offset, or after it succeeded', async () => {
    const { control } = partitionControl();
    const work = jest.fn(failing);
    await retrier.deliver(at('10'), work, control);
    await retrier.deliver(at('10'), work, control);
    await retrier.deliver(at('12'), work, control);
    await retrier.deliver(at('12'), () => Promise.resolve(), control);
    expect(stuck()).toEqual([]);
    await retrier.deliver(at('12'), work, control);
    expect(work.mock.calls.map(([isRetry]) => isRetry)).toEqual([false, true, false, false]);
    expect(lines.warn.mock.calls.map(([fields]) => (fields as { attempt: number }).attempt)).toEqual([1, 2, 1, 1]);
  });

  it('keeps the retries of each partition apart', async () => {
    const { control } = partitionControl();
    await retrier.deliver(at('10', 1), failing, control);
    await retrier.deliver(at('10', 1), failing, control);
    const other = jest.fn(failing);
    await retrier.deliver(at('10', 2), other, control);
    expect(other).toHaveBeenCalledWith(false);
  });

  it('heartbeats while a long delivery runs, and stops when it ends', async () => {
    const { control, state } = partitionControl();
    let finish = () => {};
    const delivered = retrier.deliver(at('10'), () => new Promise<void>((resolve) => (finish = resolve)), control);
    await jest.advanceTimersByTimeAsync(3_500);
    expect(state.heartbeats).toBe(3);
    finish();
    await delivered;
    await jest.advanceTimersByTimeAsync(5_000);
    expect(state.heartbeats).toBe(3);
  });

  it('forgets the retries of partitions a rebalance took away', async () => {
    const { control } = partitionControl();
    await retrier.deliver(at('10', 1), failing, control);
    await retrier.deliver(at('20', 2), failing, control);
    retrier.assigned({ 'order.completed': [2] });
    expect(stuck()).toEqual([expect.objectContaining({ partition: 2 })]);
    const work = jest.fn(failing);
    await retrier.deliver(at('10', 1), work, control);
    await retrier.deliver(at('20', 2), work, control);
    expect(work.mock.calls).toEqual([[false], [true]]);
  });

  it('resumes no parked partition after shutdown', async () => {
    const { control, state } = partitionControl();
    await retrier.deliver(at('10'), failing, control);
    retrier.onApplicationShutdown();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(state.paused).toBe(true);
  });
});
