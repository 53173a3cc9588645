/** One fetched message with its original bytes: a rejected one goes to the dead-letter topic untouched. */
export interface FetchedMessage {
  readonly key: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** Set on the last message of a fetch that ends in transaction markers or aborted messages: the last of those. */
  readonly settlesThrough?: string;
}

/** What the Kafka transport hands the controller: the fetched batches of one or more partitions, in offset order per partition. */
export interface ConsumedBatch {
  readonly messages: readonly FetchedMessage[];
}

export function consumedBatchOf(messages: readonly FetchedMessage[]): ConsumedBatch {
  return Object.freeze({ messages: Object.freeze([...messages]) });
}
