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
  private readonly partitions: M[][];

  constructor(messages: readonly M[]) {
    const byPartition = new Map<string, M[]>();
    for (const message of messages) {
      const key = `${message.topic}/${message.partition}`;
      byPartition.set(key, [...(byPartition.get(key) ?? []), message]);
    }
    this.partitions = [...byPartition.values()];
  }

  /** The last message of each partition up to which everything would be settled, were `more` settled too. */
  lastSettledWith(more: readonly M[]): M[] {
    const settled = new Set([...this.settled, ...more]);
    return this.partitions.flatMap((messages) => {
      const firstOpen = messages.findIndex((m) => !settled.has(m));
      const last = firstOpen === -1 ? messages[messages.length - 1] : messages[firstOpen - 1];
      return last ? [last] : [];
    });
  }

  markSettled(messages: readonly M[]): void {
    messages.forEach((m) => this.settled.add(m));
  }
}
