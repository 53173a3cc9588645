import { KafkaContext, KafkaOptions, ServerKafka } from '@nestjs/microservices';
import { KafkaParser } from '@nestjs/microservices/helpers/kafka-parser';
import { KafkaRequestDeserializer } from '@nestjs/microservices/deserializers/kafka-request.deserializer';
import { KafkaRequest } from '@nestjs/microservices/serializers/kafka-request.serializer';
import { Consumer, EachBatchPayload, ITopicConfig } from 'kafkajs';
import { ConsumeMode } from '../config/configuration';
import { BatchMessage, EventBatch } from '../idempotency/event-batch';
import { batchPatternOf } from '../idempotency/idempotent-event-pattern.decorator';
import { GroupCommitQueue } from './group-commit.queue';
import { TransientFaultRetrier } from './transient-fault.retrier';

export interface DeliveryOptions {
  retrier: TransientFaultRetrier;
  /** Called when kafkajs gives up on the consumer for good: a live process must not keep a dead consumer. */
  onConsumerDead: (error: Error) => void;
}

export interface BatchModeOptions {
  /** Transactions one consumer runs at once; batches arriving meanwhile join the next one. */
  maxConcurrentTransactions: number;
  maxEventsPerTransaction: number;
}

type KafkaServerOptions = NonNullable<KafkaOptions['options']>;

/** Keeps key, value and headers as the original bytes: strict JSON parsing and the DLT need them untouched. */
class RawBytesParser extends KafkaParser {
  override parse<T = unknown>(data: { headers?: Record<string, unknown> }): T {
    return { ...data, headers: { ...(data.headers ?? {}) } } as T;
  }
}

/** Routes a configured topic (e.g. a test's own topic) to the handler of its logical pattern. */
class TopicBindingDeserializer extends KafkaRequestDeserializer {
  constructor(private readonly patternByTopic: ReadonlyMap<string, string>) {
    super();
  }

  override mapToSchema(data: KafkaRequest, options?: Record<string, unknown>) {
    const channel = options?.channel as string | undefined;
    const bound = channel === undefined ? options : { ...options, channel: this.patternByTopic.get(channel) ?? channel };
    return super.mapToSchema(data, bound);
  }
}

/**
 * Nest's Kafka server, with four changes: it subscribes to configured topics rather than to the
 * handler patterns, it keeps raw bytes, the consumer group id is used as given (no "-server"), and in
 * batch mode it hands each fetched batch to the handler of the pattern's batch form.
 */
export class BillingKafkaServer extends ServerKafka {
  private readonly groupCommits = new Map<string, GroupCommitQueue<BatchMessage>>();
  private stopping = false;

  constructor(
    options: KafkaServerOptions,
    private readonly delivery: DeliveryOptions,
    private readonly patternByTopic: ReadonlyMap<string, string>,
    private readonly topicsToCreate: ITopicConfig[] = [],
    private readonly consumeMode: ConsumeMode = 'message',
    private readonly batchMode: BatchModeOptions = { maxConcurrentTransactions: 2, maxEventsPerTransaction: 2000 },
  ) {
    super({ ...options, postfixId: '', deserializer: new TopicBindingDeserializer(patternByTopic) });
    this.parser = new RawBytesParser();
  }

  override async bindEvents(consumer: Consumer): Promise<void> {
    await this.createMissingTopics();
    await consumer.subscribe({ ...this.options.subscribe, topics: [...this.patternByTopic.keys()] });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart && !this.stopping) this.delivery.onConsumerDead(payload.error);
    });
    if (this.consumeMode === 'message') {
      const handle = this.getMessageHandler();
      await consumer.run({
        ...this.options.run,
        eachMessage: (payload) =>
          this.delivery.retrier.deliver([{ topic: payload.topic, partition: payload.partition, offset: payload.message.offset }], () => handle(payload), {
            heartbeat: () => payload.heartbeat(),
            shouldGiveUp: () => this.stopping,
          }),
      });
      return;
    }
    // Offsets are resolved only after the handler succeeds: a failed batch is redelivered whole.
    await consumer.run({ ...this.options.run, eachBatchAutoResolve: false, eachBatch: (payload) => this.handleBatch(payload) });
  }

  /** Offsets of a partition's batch are resolved only once the transaction holding its events commits. */
  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0) return;
    const { topic, partition } = batch;
    const messages: BatchMessage[] = batch.messages.map((m) => ({ key: m.key, value: m.value, headers: { ...(m.headers ?? {}) }, topic, partition, offset: m.offset }));
    const queue = this.groupCommitFor(batchPatternOf(this.patternByTopic.get(topic) ?? topic));
    await this.delivery.retrier.deliver([{ topic, partition, offset: batch.firstOffset() ?? messages[0].offset }], () => queue.submit(messages), {
      heartbeat: () => payload.heartbeat(),
      shouldGiveUp: () => this.stopping || !payload.isRunning() || payload.isStale(),
    });
    payload.resolveOffset(batch.lastOffset());
    await payload.heartbeat();
  }

  override async close(): Promise<void> {
    this.stopping = true;
    await super.close();
  }

  private groupCommitFor(pattern: string): GroupCommitQueue<BatchMessage> {
    let queue = this.groupCommits.get(pattern);
    if (!queue) {
      const { maxConcurrentTransactions, maxEventsPerTransaction } = this.batchMode;
      queue = new GroupCommitQueue((messages) => this.dispatchBatch(pattern, messages), maxConcurrentTransactions, maxEventsPerTransaction);
      this.groupCommits.set(pattern, queue);
    }
    return queue;
  }

  private async dispatchBatch(pattern: string, messages: BatchMessage[]): Promise<void> {
    const [first] = messages;
    const context = new KafkaContext([first as never, first.partition, first.topic, this.consumer!, () => Promise.resolve(), this.producer!]);
    await this.handleEvent(pattern, { pattern, data: new EventBatch(messages) }, context);
  }

  /** A consumer cannot subscribe to a topic that does not exist yet, and a DLT must exist before poison arrives. */
  private async createMissingTopics(): Promise<void> {
    if (this.topicsToCreate.length === 0 || !this.client) return;
    const admin = this.client.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: this.topicsToCreate, waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
  }
}
