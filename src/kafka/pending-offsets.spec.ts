import { PartitionPosition, PendingOffsets } from './pending-offsets';

describe('PendingOffsets', () => {
  let sent: PartitionPosition[][];
  const send = (positions: PartitionPosition[]) => {
    sent.push(positions);
    return Promise.resolve();
  };

  beforeEach(() => {
    sent = [];
  });

  it('commits the latest position of each partition, all in one send, and nothing once nothing is pending', async () => {
    const pending = new PendingOffsets();
    pending.record('t', 0, '5');
    pending.record('t', 1, '3');
    pending.record('t', 0, '9');
    await pending.commit(send);
    await pending.commit(send);
    expect(sent).toEqual([
      [
        { topic: 't', partition: 0, offset: '9' },
        { topic: 't', partition: 1, offset: '3' },
      ],
    ]);
    expect(pending.size).toBe(0);
  });

  it('keeps everything after a failed send, and a position recorded during a send for the next one', async () => {
    const pending = new PendingOffsets();
    pending.record('t', 0, '5');
    await expect(pending.commit(() => Promise.reject(new Error('rebalance in progress')))).rejects.toThrow('rebalance in progress');
    expect(pending.size).toBe(1);

    await pending.commit((positions) => {
      pending.record('t', 0, '7');
      return send(positions);
    });
    await pending.commit(send);
    expect(sent.map((positions) => positions.map((p) => p.offset))).toEqual([['5'], ['7']]);
  });

  it('runs one send at a time, in order, so an older position never reaches the broker after a newer one', async () => {
    const pending = new PendingOffsets();
    let releaseFirst = () => undefined as void;
    const order: string[] = [];
    pending.record('t', 0, '5');
    const first = pending.commit(async (positions) => {
      order.push(`start ${positions[0].offset}`);
      await new Promise<void>((resolve) => (releaseFirst = resolve));
      order.push(`end ${positions[0].offset}`);
    });
    await new Promise((resolve) => setImmediate(resolve));
    pending.record('t', 0, '8');
    const second = pending.commit(async (positions) => {
      order.push(`start ${positions[0].offset}`);
      await Promise.resolve();
      order.push(`end ${positions[0].offset}`);
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['start 5']);
    releaseFirst();
    await Promise.all([first, second]);
    expect(order).toEqual(['start 5', 'end 5', 'start 8', 'end 8']);
  });

  it('forgets the partitions the group took away, and ignores a late position of one', async () => {
    const pending = new PendingOffsets();
    pending.record('t', 0, '5');
    pending.record('t', 1, '6');
    pending.record('u', 0, '7');
    pending.keepOnly({ t: [1], u: [] });
    pending.record('t', 0, '2');
    await pending.commit(send);
    expect(sent).toEqual([[{ topic: 't', partition: 1, offset: '6' }]]);
  });
});
