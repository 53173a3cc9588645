/** The next offset to read in one partition. */
export interface PartitionPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

const keyOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * The positions handled since they were last committed to Kafka, per partition, the latest one winning. A commit
 * sends them all at once; a position recorded again while its commit is in flight stays for the next commit, and
 * commits run one at a time, so an older position never overwrites a newer one at the broker.
 */
export class PendingOffsets {
  private readonly pending = new Map<string, PartitionPosition>();
  /** The partitions of the latest assignment; none known yet: every position is taken. */
  private assigned?: ReadonlySet<string>;
  private committing: Promise<void> = Promise.resolve();

  /** A partition the group has taken away is ignored: a late seek must not move its new owner's committed offset. */
  record(topic: string, partition: number, offset: string): void {
    const key = keyOf(topic, partition);
    if (this.assigned && !this.assigned.has(key)) return;
    this.pending.set(key, { topic, partition, offset });
  }

  /** Drops the positions of partitions the group took away: their new owner commits them. */
  keepOnly(assigned: Readonly<Record<string, readonly number[]>>): void {
    this.assigned = new Set(Object.entries(assigned).flatMap(([topic, partitions]) => partitions.map((p) => keyOf(topic, p))));
    for (const key of this.pending.keys()) if (!this.assigned.has(key)) this.pending.delete(key);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Sends what is pending (nothing when nothing is); a failed send keeps it all for the next commit. */
  commit(send: (positions: PartitionPosition[]) => Promise<void>): Promise<void> {
    const next = this.committing.then(() => this.sendPending(send));
    this.committing = next.catch(() => undefined);
    return next;
  }

  private async sendPending(send: (positions: PartitionPosition[]) => Promise<void>): Promise<void> {
    const taken = [...this.pending.entries()];
    if (taken.length === 0) return;
    await send(taken.map(([, position]) => position));
    for (const [key, position] of taken) if (this.pending.get(key) === position) this.pending.delete(key);
  }
}
