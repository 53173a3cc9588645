import pino from 'pino';
import { KafkaConfig } from '../config/configuration';
import { BillingMetrics } from '../observability/billing-metrics';
import { ConsumerOffsetsRepository, PartitionOffset } from './consumer-offsets.repository';
import { ConsumerOffsets } from './consumer-offsets.service';
import { mockOf } from '../../test/support/builders';

/** The repository's writes as the statements it would run, and the rows it would read. */
class RecordingRepository {
  readonly advances: PartitionOffset[][] = [];
  stored: PartitionOffset[] = [];
  failNext = false;
  failFinds = 0;
  readonly finds: string[][] = [];

  advance(_groupId: string, offsets: readonly PartitionOffset[]): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('connection terminated'));
    }
    this.advances.push([...offsets]);
    return Promise.resolve();
  }

  find(_groupId: string, topics: readonly string[]): Promise<PartitionOffset[]> {
    this.finds.push([...topics]);
    if (this.failFinds > 0) {
      this.failFinds -= 1;
      return Promise.reject(new Error('connection terminated'));
    }
    return Promise.resolve(this.stored);
  }

  asRepository(): jest.Mocked<ConsumerOffsetsRepository> {
    return mockOf(ConsumerOffsetsRepository, {
      advance: (groupId, offsets) => this.advance(groupId, offsets),
      find: (groupId, topics) => this.find(groupId, topics),
    });
  }
}

function offsetsWith(repository: RecordingRepository, metrics = new BillingMetrics()): ConsumerOffsets {
  const config = { groupId: 'billing' } as KafkaConfig;
  return new ConsumerOffsets(config, repository.asRepository(), metrics, pino({ level: 'silent' }));
}

const at = (partition: number, nextOffset: string): PartitionOffset => ({ topic: 'orders', partition, nextOffset });

describe('ConsumerOffsets', () => {
  afterEach(() => jest.useRealTimers());

  it('records a partition after its highest message, or after the markers and aborted messages that message settles through', async () => {
    const repository = new RecordingRepository();
    await offsetsWith(repository).record([
      { topic: 'orders', partition: 0, offset: '4' },
      { topic: 'orders', partition: 0, offset: '5', settlesThrough: '9' },
      { topic: 'orders', partition: 1, offset: '7' },
    ]);
    expect(repository.advances).toEqual([[at(0, '10'), at(1, '8')]]);
  });

  it('stores what was passed over one delay later, every partition in one statement, each at the highest', async () => {
    jest.useFakeTimers();
    const repository = new RecordingRepository();
    const offsets = offsetsWith(repository);
    offsets.passOver('orders', 0, '12');
    offsets.passOver('orders', 1, '3');
    offsets.passOver('orders', 0, '20');
    offsets.passOver('orders', 0, '15');
    expect(repository.advances).toEqual([]);

    await jest.advanceTimersByTimeAsync(1_000);
    expect(repository.advances).toEqual([[at(0, '21'), at(1, '4')]]);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(repository.advances).toHaveLength(1);
  });

  it('stores what was passed over at once when the consumer stops, and nothing when nothing was', async () => {
    const repository = new RecordingRepository();
    const offsets = offsetsWith(repository);
    offsets.passOver('orders', 2, '41');
    await offsets.storePassedOver();
    await offsets.storePassedOver();
    expect(repository.advances).toEqual([[at(2, '42')]]);
  });

  it('keeps what a failed write did not store for the next one, merged with what was passed over since', async () => {
    const repository = new RecordingRepository();
    const offsets = offsetsWith(repository);
    offsets.passOver('orders', 0, '12');
    repository.failNext = true;
    await offsets.storePassedOver();
    offsets.passOver('orders', 0, '10');
    offsets.passOver('orders', 1, '6');
    await offsets.storePassedOver();
    expect(repository.advances).toEqual([[at(0, '13'), at(1, '7')]]);
  });

  it('writes nothing after the application shut down (the database is closing)', async () => {
    jest.useFakeTimers();
    const repository = new RecordingRepository();
    const offsets = offsetsWith(repository);
    offsets.passOver('orders', 0, '12');
    offsets.onApplicationShutdown();
    offsets.passOver('orders', 0, '13');
    await jest.advanceTimersByTimeAsync(10_000);
    expect(repository.advances).toEqual([]);
  });

  /** A partition stored at `stored` is assigned while its log starts at `logStart`. */
  async function assignedAt(stored: string, logStart: string) {
    const repository = new RecordingRepository();
    const metrics = new BillingMetrics();
    const offsets = offsetsWith(repository, metrics);
    repository.stored = [at(0, stored)];
    const positions = await offsets.positionsFor(
      { orders: [0] },
      () => Promise.resolve(new Map([[0, logStart]])),
      () => false,
    );
    return { positions, gaps: offsets.currentGaps(), counted: (await metrics.storedOffsetGaps.get()).values };
  }

  it('sees no gap when the stored offset is the log start, also when deleteRecords made the log start the log end', async () => {
    expect(await assignedAt('13', '13')).toEqual({ positions: [at(0, '13')], gaps: [], counted: [] });
  });

  it('reports a stored offset below the log start as a gap and resumes at the log start', async () => {
    const { positions, gaps, counted } = await assignedAt('12', '13');
    expect(positions).toEqual([at(0, '13')]);
    expect(gaps).toEqual([expect.objectContaining({ topic: 'orders', partition: 0, storedOffset: '12', logStartOffset: '13' })]);
    expect(counted).toEqual([expect.objectContaining({ value: 1 })]);
  });

  it('resumes only the assigned partitions that have a stored offset, asking for the log starts once per topic', async () => {
    const repository = new RecordingRepository();
    repository.stored = [at(0, '5'), at(1, '6'), at(2, '7'), { topic: 'refunds', partition: 0, nextOffset: '3' }];
    const logStart = jest.fn((topic: string) => Promise.resolve(new Map(topic === 'orders' ? [[0, '0']] : [])));
    const positions = await offsetsWith(repository).positionsFor({ orders: [0, 2, 4], refunds: [0] }, logStart, () => false);
    expect(positions).toEqual([at(0, '5'), at(2, '7'), { topic: 'refunds', partition: 0, nextOffset: '3' }]);
    expect(repository.finds).toEqual([['orders', 'refunds']]);
    expect(logStart.mock.calls).toEqual([['orders'], ['refunds']]);
  });

  it('keeps reading stored offsets it cannot read, backing off from 500 ms, rather than resume from Kafka', async () => {
    jest.useFakeTimers();
    const repository = new RecordingRepository();
    repository.stored = [at(0, '9')];
    repository.failFinds = 2;
    let positions: PartitionOffset[] | undefined;
    void offsetsWith(repository)
      .positionsFor(
        { orders: [0] },
        () => Promise.resolve(new Map()),
        () => false,
      )
      .then((read) => (positions = read));
    await jest.advanceTimersByTimeAsync(499);
    expect(repository.finds).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(repository.finds).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(999);
    expect(positions).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);
    expect(positions).toEqual([at(0, '9')]);
  });

  it('gives up reading stored offsets when the consumer is stopping', async () => {
    const repository = new RecordingRepository();
    repository.stored = [at(0, '9')];
    repository.failFinds = 1;
    await expect(
      offsetsWith(repository).positionsFor(
        { orders: [0] },
        () => Promise.resolve(new Map()),
        () => true,
      ),
    ).resolves.toEqual([]);
  });

  it('forgets a gap once the partition is assigned again at or above the log start', async () => {
    const repository = new RecordingRepository();
    const offsets = offsetsWith(repository);
    const logStart = () => Promise.resolve(new Map([[0, '13']]));
    repository.stored = [at(0, '12')];
    await offsets.positionsFor({ orders: [0] }, logStart, () => false);
    expect(offsets.currentGaps()).toHaveLength(1);
    repository.stored = [at(0, '13')];
    await offsets.positionsFor({ orders: [0] }, logStart, () => false);
    expect(offsets.currentGaps()).toEqual([]);
  });
});
