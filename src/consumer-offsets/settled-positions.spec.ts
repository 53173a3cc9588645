import { PartitionFrontier } from './settled-positions';

const message = (partition: number, offset: number) => ({ topic: 'orders', partition, offset: String(offset) });

describe('PartitionFrontier', () => {
  const a0 = message(0, 10);
  const a1 = message(0, 11);
  const a2 = message(0, 12);
  const b0 = message(1, 7);
  const b1 = message(1, 8);

  it('names, per partition, the last message before the first one not settled', () => {
    const frontier = new PartitionFrontier([a0, b0, a1, b1, a2]);
    expect(frontier.lastSettledWith([a0, a2, b0, b1])).toEqual([a0, b1]);
    expect(frontier.lastSettledWith([a1])).toEqual([]);
  });

  it('counts what was marked settled together with what is asked about', () => {
    const frontier = new PartitionFrontier([a0, a1, a2, b0, b1]);
    frontier.markSettled([a0, b1]);
    expect(frontier.lastSettledWith([])).toEqual([a0]);
    expect(frontier.lastSettledWith([a1, b0])).toEqual([a1, b1]);
    frontier.markSettled([a2]);
    expect(frontier.lastSettledWith([a1])).toEqual([a2]);
  });

  it('ignores messages that are not in the batch', () => {
    const frontier = new PartitionFrontier([a0, a1]);
    frontier.markSettled([b0]);
    expect(frontier.lastSettledWith([message(0, 10), b1])).toEqual([]);
    expect(frontier.lastSettledWith([a0])).toEqual([a0]);
  });
});
