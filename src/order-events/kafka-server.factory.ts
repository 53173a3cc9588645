import { KafkaConfig, ORDER_COMPLETED_TOPIC } from '../config/configuration';
import { GroupConsumer } from '../kafka/group-consumer';
import { KafkaClient } from '../kafka/kafka-client';
import { KafkaLogging } from '../observability/logging.module';
import { BillingKafkaServer, DeliveryOptions } from './billing-kafka.server';

export function createKafkaServer(config: KafkaConfig, delivery: DeliveryOptions, kafkaLogging: KafkaLogging): BillingKafkaServer {
  return new BillingKafkaServer({
    consumer: () => groupConsumerFor(config, kafkaLogging),
    delivery,
    patternByTopic: new Map([[config.topic, ORDER_COMPLETED_TOPIC]]),
    groupCommit: { maxConcurrentTransactions: config.buffers.maxConcurrentTransactions, maxEventsPerTransaction: config.buffers.maxEventsPerTransaction },
  });
}

/** A member on a client of its own, which drops a silent broker's connections and reports them (BoundedKafka). */
function groupConsumerFor(config: KafkaConfig, logging: KafkaLogging): GroupConsumer {
  const client = new KafkaClient(config, {
    clientId: config.clientId,
    initialRetryTimeMs: 300,
    retries: 8,
    maxRetryTimeMs: 30_000,
    logCreator: logging.logCreator,
    silence: logging.connectivity,
  });
  return client.groupConsumer({
    consumer: {
      groupId: config.groupId,
      sessionTimeout: config.sessionTimeoutMs,
      heartbeatInterval: config.timeouts.heartbeatIntervalMs,
      rebalanceTimeout: config.timeouts.rebalanceTimeoutMs,
      // A database outage outlasts any retry budget; restarting keeps the offset uncommitted and retries later.
      retry: { retries: 8, maxRetryTime: 30_000, restartOnFailure: () => Promise.resolve(true) },
      // kafkajs defaults (1 MiB a partition, 10 MiB a fetch) buffer far more than a transaction takes; smaller
      // fetches keep the resident set down and cost no throughput, because batches are grouped before the claim.
      maxBytesPerPartition: config.buffers.fetchMaxBytesPerPartition,
      maxBytes: config.buffers.fetchMaxBytes,
    },
    // A new group must bill what was published before it first started.
    subscribe: { fromBeginning: true },
    run: { partitionsConsumedConcurrently: config.partitionsConsumedConcurrently },
    commitIntervalMs: config.commitIntervalMs,
    topicsToCreate: [
      { topic: config.topic, numPartitions: config.topicPartitions },
      { topic: config.deadLetterTopic, numPartitions: 1 },
    ],
  });
}
