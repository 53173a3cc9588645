import { KafkaContext, KafkaOptions, ServerKafka } from '@nestjs/microservices';
import { KafkaParser } from '@nestjs/microservices/helpers/kafka-parser';
import { KafkaRequestDeserializer } from '@nestjs/microservices/deserializers/kafka-request.deserializer';
import { KafkaRequest } from '@nestjs/microservices/serializers/kafka-request.serializer';
import { Consumer, EachBatchPayload, ITopicConfig } from 'kafkajs';
import { ConsumeMode } from '../config/configuration';
import { BatchMessage, EventBatch } from '../idempotency/event-batch';
import { batchPatternOf } from '../idempotency/idempotent-event-pattern.decorator';
import { GroupCommitQueue } from './group-commit.queue';
import { PartitionControl, TransientFaultRetrier } from './transient-fault.retrier';

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
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => this.delivery.retrier.assigned(payload.memberAssignment));
    // Both modes take whole fetched batches and resolve offsets themselves: a failed delivery parks its partition
    // (see TransientFaultRetrier) and returns, instead of throwing into kafkajs.
    const eachBatch = this.consumeMode === 'message' ? (p: EachBatchPayload) => this.handleMessages(p) : (p: EachBatchPayload) => this.handleBatch(p);
    await consumer.run({ ...this.options.run, eachBatchAutoResolve: false, eachBatch });
  }

  /** One message at a time, each acknowledged once handled; a failure parks the partition at that message. */
  private async handleMessages(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { topic, partition } = batch;
    for (const message of batch.messages) {
      if (!payload.isRunning() || payload.isStale()) return;
      const handled = await this.delivery.retrier.deliver(
        { topic, partition, offset: message.offset },
        () => this.handleMessage({ topic, partition, message, heartbeat: () => payload.heartbeat(), pause: () => payload.pause() }),
        this.partitionControl(payload),
      );
      if (!handled) return;
      payload.resolveOffset(message.offset);
    }
    await payload.heartbeat();
  }

  /** Offsets of a partition's batch are resolved only once the transaction holding its events commits. */
  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0 || !payload.isRunning() || payload.isStale()) return;
    const { topic, partition } = batch;
    const messages: BatchMessage[] = batch.messages.map((m) => ({ key: m.key, value: m.value, headers: { ...(m.headers ?? {}) }, topic, partition, offset: m.offset }));
    const queue = this.groupCommitFor(batchPatternOf(this.patternByTopic.get(topic) ?? topic));
    // A retry goes alone, so a partition that keeps failing does not drag the others' events into its failures.
    const handled = await this.delivery.retrier.deliver(
      { topic, partition, offset: messages[0].offset },
      (isRetry) => queue.submit(messages, { alone: isRetry }),
      this.partitionControl(payload),
    );
    if (!handled) return;
    payload.resolveOffset(batch.lastOffset());
    await payload.heartbeat();
  }

  private partitionControl(payload: EachBatchPayload): PartitionControl {
    const { topic, partition } = payload.batch;
    return {
      heartbeat: () => payload.heartbeat(),
      pause: () => payload.pause(),
      rewind: (offset) => this.consumer?.seek({ topic, partition, offset }),
    };
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
