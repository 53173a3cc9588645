import { setTimeout as delay } from 'node:timers/promises';
import { Admin, ITopicConfig, KafkaJSAggregateError, KafkaJSError, KafkaJSNumberOfRetriesExceeded } from 'kafkajs';

const RETRY_MS = 100;

/**
 * Creates the topics that do not exist yet and waits until every partition has a leader, retrying what can clear
 * for about `timeoutMs` (an attempt under way finishes). kafkajs gives up at once on two faults that do clear:
 * `createTopics` on a connection error (the metadata still names a broker that just died as the controller: boots
 * failed during a rolling restart), and `waitForLeaders` on UNKNOWN_TOPIC_OR_PARTITION, which a KRaft broker answers
 * until it has applied the new topic.
 */
export async function createTopicsWithLeaders(admin: Admin, topics: ITopicConfig[], timeoutMs = 30_000): Promise<void> {
  const names = topics.map(({ topic }) => topic).join(', ');
  const deadline = Date.now() + timeoutMs;
  await retryUntil(deadline, `${names} not created after ${timeoutMs} ms`, async () => {
    await admin.createTopics({ topics, waitForLeaders: false });
    return true;
  });
  await retryUntil(deadline, `no leader for every partition of ${names} after ${timeoutMs} ms`, () => everyPartitionLed(admin, topics));
}

async function retryUntil(deadline: number, timedOut: string, attempt: () => Promise<boolean>): Promise<void> {
  for (;;) {
    let fault: Error | undefined;
    try {
      if (await attempt()) return;
    } catch (error) {
      if (!canClear(error)) throw error;
      fault = error as Error;
    }
    if (Date.now() > deadline) throw new Error(fault ? `${timedOut}: ${fault.message}` : timedOut, { cause: fault });
    await delay(RETRY_MS);
  }
}

/** kafkajs wraps the last fault once its own retries ran out, and reports faults of several topics together. */
function canClear(error: unknown): boolean {
  if (error instanceof KafkaJSNumberOfRetriesExceeded) return canClear(error.cause);
  if (error instanceof KafkaJSAggregateError) return error.errors.length > 0 && error.errors.every(canClear);
  return error instanceof KafkaJSError && error.retriable;
}

async function everyPartitionLed(admin: Admin, topics: ITopicConfig[]): Promise<boolean> {
  const metadata = await admin.fetchTopicMetadata({ topics: topics.map(({ topic }) => topic) });
  return metadata.topics.every(({ partitions }) => partitions.length > 0 && partitions.every(({ leader }) => leader >= 0));
}
