import { FetchedMessage } from '../kafka/group-consumer';

export type { FetchedMessage } from '../kafka/group-consumer';

/** What the Kafka transport hands the controller: the fetched batches of one or more partitions, in offset order per partition. */
export interface ConsumedBatch {
  readonly messages: readonly FetchedMessage[];
}

export function consumedBatchOf(messages: readonly FetchedMessage[]): ConsumedBatch {
  return Object.freeze({ messages: Object.freeze([...messages]) });
}
