interface Pending<T> {
  items: readonly T[];
  alone: boolean;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for batches: what the partitions submit while a flush is running goes out together in
 * the next flush, so a trickle of small per-partition batches costs a few transactions, not one each.
 * Each submitter learns whether its own items were written; a failed flush fails all of its submitters.
 */
export class GroupCommitQueue<T> {
  private readonly pending: Pending<T>[] = [];
  private running = 0;

  constructor(
    private readonly flush: (items: T[]) => Promise<void>,
    private readonly maxConcurrentFlushes: number,
    /** A flush stops taking further submissions once it holds this many items. */
    private readonly maxItemsPerFlush: number,
  ) {}

  /** alone: flush these items in a transaction of their own (a retry must not drag other partitions along). */
  submit(items: readonly T[], { alone = false } = {}): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ items, alone, resolve, reject });
      // Let submissions made in the same turn (other partitions of one fetch) join this flush.
      setImmediate(() => this.startFlushes());
    });
  }

  private startFlushes(): void {
    while (this.running < this.maxConcurrentFlushes && this.pending.length > 0) {
      this.running += 1;
      void this.flushNext().finally(() => {
        this.running -= 1;
        this.startFlushes();
      });
    }
  }

  private async flushNext(): Promise<void> {
    const taken = this.takeGroup();
    try {
      await this.flush(taken.flatMap((p) => p.items));
      taken.forEach((p) => p.resolve());
    } catch (error) {
      taken.forEach((p) => p.reject(error));
    }
  }

  private takeGroup(): Pending<T>[] {
    const loner = this.pending.findIndex((p) => p.alone);
    if (loner >= 0) return this.pending.splice(loner, 1);
    const group: Pending<T>[] = [];
    let size = 0;
    while (this.pending.length > 0 && (group.length === 0 || size + this.pending[0].items.length <= this.maxItemsPerFlush)) {
      const next = this.pending.shift() as Pending<T>;
      size += next.items.length;
      group.push(next);
    }
    return group;
  }
}
