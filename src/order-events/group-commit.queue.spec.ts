import { GroupCommitQueue } from './group-commit.queue';

/** A flush that stays open until the test releases it, so the test decides what overlaps. */
class ControlledFlushes {
  readonly flushed: number[][] = [];
  private readonly releases: ((error?: Error) => void)[] = [];
  open = 0;
  maxOpen = 0;

  readonly flush = (items: number[]): Promise<void> => {
    this.flushed.push(items);
    this.open += 1;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    return new Promise<void>((resolve, reject) => {
      this.releases.push((error) => {
        this.open -= 1;
        if (error) reject(error);
        else resolve();
      });
    });
  };

  release(index: number, error?: Error): void {
    this.releases[index](error);
  }
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommitQueue', () => {
  it('flushes what is submitted in the same turn together', async () => {
    const flushes = new ControlledFlushes();
    const queue = new GroupCommitQueue(flushes.flush, 1, 100);
    const done = [queue.submit([1, 2]), queue.submit([3]), queue.submit([4])];
    await turn();
    expect(flushes.flushed).toEqual([[1, 2, 3, 4]]);
    flushes.release(0);
    await expect(Promise.all(done)).resolves.toEqual([undefined, undefined, undefined]);
  });

  it('flushes a submission marked alone in a transaction of its own', async () => {
    const flushes = new ControlledFlushes();
    const queue = new GroupCommitQueue(flushes.flush, 2, 100);
    const done = [queue.submit([1]), queue.submit([2], { alone: true }), queue.submit([3])];
    await turn();
    expect(flushes.flushed).toEqual([[2], [1, 3]]);
    flushes.release(0);
    flushes.release(1);
    await expect(Promise.all(done)).resolves.toHaveLength(3);
  });

  it('gathers what arrives during a flush into the next one, within the concurrency limit', async () => {
    const flushes = new ControlledFlushes();
    const queue = new GroupCommitQueue(flushes.flush, 1, 100);
    const first = queue.submit([1]);
    await turn();
    const later = [queue.submit([2]), queue.submit([3])];
    await turn();
    expect(flushes.flushed).toEqual([[1]]);
    flushes.release(0);
    await first;
    await turn();
    expect(flushes.flushed).toEqual([[1], [2, 3]]);
    flushes.release(1);
    await Promise.all(later);
    expect(flushes.maxOpen).toBe(1);
  });

  it('runs up to the configured number of flushes at once and caps their size', async () => {
    const flushes = new ControlledFlushes();
    const queue = new GroupCommitQueue(flushes.flush, 2, 3);
    const done = [queue.submit([1, 2]), queue.submit([3, 4]), queue.submit([5, 6, 7, 8]), queue.submit([9])];
    await turn();
    expect(flushes.flushed).toEqual([
      [1, 2],
      [3, 4],
    ]);
    flushes.release(0);
    await done[0];
    await turn();
    expect(flushes.flushed[2]).toEqual([5, 6, 7, 8]);
    flushes.release(1);
    flushes.release(2);
    await turn();
    expect(flushes.flushed[3]).toEqual([9]);
    flushes.release(3);
    await Promise.all(done);
    expect(flushes.maxOpen).toBe(2);
  });

  it('fails every submitter of a failed flush and no other', async () => {
    const flushes = new ControlledFlushes();
    const queue = new GroupCommitQueue(flushes.flush, 1, 100);
    const failing = [queue.submit([1]), queue.submit([2])];
    await turn();
    const next = queue.submit([3]);
    flushes.release(0, new Error('db down'));
    await expect(failing[0]).rejects.toThrow('db down');
    await expect(failing[1]).rejects.toThrow('db down');
    await turn();
    flushes.release(1);
    await expect(next).resolves.toBeUndefined();
    expect(flushes.flushed).toEqual([[1, 2], [3]]);
  });
});
