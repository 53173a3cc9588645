import { setTimeout as delay } from 'node:timers/promises';
import { Admin, ITopicConfig, KafkaJSError } from 'kafkajs';

const LEADER_POLL_MS = 100;

/**
 * Creates the topics that do not exist yet and waits until every partition has a leader. kafkajs' own
 * `waitForLeaders` gives up at once on UNKNOWN_TOPIC_OR_PARTITION, which a KRaft broker still answers until it has
 * applied the new topic to its metadata: on a loaded machine that failed boots and tests.
 */
export async function createTopicsWithLeaders(admin: Admin, topics: ITopicConfig[], timeoutMs = 30_000): Promise<void> {
  await admin.createTopics({ topics, waitForLeaders: false });
  const names = topics.map(({ topic }) => topic);
  const deadline = Date.now() + timeoutMs;
  while (!(await everyPartitionLed(admin, names))) {
    if (Date.now() > deadline) throw new Error(`no leader for every partition of ${names.join(', ')} after ${timeoutMs} ms`);
    await delay(LEADER_POLL_MS);
  }
}

async function everyPartitionLed(admin: Admin, names: string[]): Promise<boolean> {
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: names });
    return topics.every(({ partitions }) => partitions.length > 0 && partitions.every(({ leader }) => leader >= 0));
  } catch (error) {
    if (error instanceof KafkaJSError && error.retriable) return false;
    throw error;
  }
}
