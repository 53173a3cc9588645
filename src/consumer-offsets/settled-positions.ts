import { MessageCoordinates } from '../observability/event-outcome.recorder';

/**
 * A settled message. `settlesThrough`, when set, is a later offset: the records after this one up to it are
 * transaction markers or aborted messages, which no consumer is handed, so settling this message settles them too.
 */
export interface SettledMessage extends MessageCoordinates {
  readonly settlesThrough?: string;
}

/**
 * Where the consumer records how far each partition is settled (claimed, invoiced, skipped or dead-lettered),
 * so that it resumes there. The transport provides it.
 */
export abstract class SettledPositions {
  abstract record(messages: readonly SettledMessage[]): Promise<void>;
}

/**
 * Tracks, within one batch, which messages are settled: a partition may be recorded only up to its first
 * message that is not (poison whose dead letter is not yet out, or an event of a later transaction).
 */
export class PartitionFrontier<M extends MessageCoordinates> {
  private readonly settled = new Set<M>();
  /** Each partition's messages in offset order, and how many of them from the first are settled. */
  private readonly partitions: { messages: M[]; settledPrefix: number }[];

  constructor(messages: readonly M[]) {
    const byPartition = new Map<string, M[]>();
    for (const message of messages) {
      const key = `${message.topic}/${message.partition}`;
      const ofPartition = byPartition.get(key);
      if (ofPartition) ofPartition.push(message);
      else byPartition.set(key, [message]);
    }
    this.partitions = [...byPartition.values()].map((ofPartition) => ({ messages: ofPartition, settledPrefix: 0 }));
  }

  /** The last message of each partition up to which everything would be settled, were `more` settled too. */
  lastSettledWith(more: readonly M[]): M[] {
    const alsoSettled = new Set(more);
    return this.partitions.flatMap(({ messages, settledPrefix }) => {
      const end = this.prefixEnd(messages, settledPrefix, (m) => alsoSettled.has(m));
      return end > 0 ? [messages[end - 1]] : [];
    });
  }

  markSettled(messages: readonly M[]): void {
    for (const message of messages) this.settled.add(message);
    for (const partition of this.partitions) partition.settledPrefix = this.prefixEnd(partition.messages, partition.settledPrefix, () => false);
  }

  private prefixEnd(messages: readonly M[], from: number, alsoSettled: (message: M) => boolean): number {
    let end = from;
    while (end < messages.length && (this.settled.has(messages[end]) || alsoSettled(messages[end]))) end++;
    return end;
  }
}
