import { CustomTransportStrategy, KafkaContext, Server } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { Consumer, ConsumerConfig, ConsumerRunConfig, EachBatchPayload, EachMessagePayload, ITopicConfig, Kafka, KafkaConfig, KafkaMessage } from 'kafkajs';
import { BoundedKafka, BrokerSilenceListener } from '../kafka/bounded-kafka';
import { ConsumeMode } from '../config/configuration';
import { Delivery, FetchedMessage } from './delivery';
import { batchPatternOf } from './idempotent-event-pattern.decorator';
import { GroupCommitQueue } from './group-commit.queue';
import { PartitionControl, TransientFaultRetrier } from './transient-fault.retrier';
import { Assignment, LogStartOffsets } from '../consumer-offsets/consumer-offsets.service';
import { PartitionOffset } from '../consumer-offsets/consumer-offsets.repository';
import { Tracing } from '../tracing/tracing';
import { createTopicsWithLeaders } from '../kafka/kafka-topics';
import { onUndecodableBatch, UndecodableBatch } from '../kafka/kafka-adapter';
import { UndecodablePartitions } from '../observability/undecodable-partitions';

export interface DeliveryOptions {
  retrier: TransientFaultRetrier;
  /** Where newly assigned partitions resume (the offsets stored with the data); none listed: Kafka's committed offset. */
  resumePositions: (assignment: Assignment, logStart: LogStartOffsets, stopping: () => boolean) => Promise<PartitionOffset[]>;
  /** Called when kafkajs gives up on the consumer for good: a live process must not keep a dead consumer. */
  onConsumerDead: (error: Error) => void;
  /** Opens the consumer span of each message (message mode) or group (batch mode). */
  tracing: Tracing;
  /** kafkajs consumed a fetch of only transaction markers and aborted messages, up to `lastOffset`, without handing it over. */
  passedOver: (topic: string, partition: number, lastOffset: string) => void;
  /** The consumer stopped: store what it passed over now. */
  storePassedOver: () => Promise<void>;
  /** Where a partition parked at a record batch the client cannot decode is reported. */
  undecodable: UndecodablePartitions;
}

export interface BatchModeOptions {
  /** Transactions one consumer runs at once; batches arriving meanwhile join the next one. */
  maxConcurrentTransactions: number;
  maxEventsPerTransaction: number;
}

export interface KafkaServerOptions {
  client: KafkaConfig;
  /** Told when a request timed out and the connection it was on was dropped, and when that broker answers again. */
  silence?: BrokerSilenceListener;
  /** The group id is used as given. */
  consumer: ConsumerConfig;
  subscribe?: { fromBeginning?: boolean };
  run?: Omit<ConsumerRunConfig, 'eachMessage' | 'eachBatch' | 'eachBatchAutoResolve'>;
}

export type KafkaServerStatus = 'connected' | 'disconnected' | 'rebalancing' | 'stopped' | 'crashed';

export class MissingHandlerError extends Error {
  readonly code = 'order_events.missing_handler';
}

/**
 * A Nest transport built on kafkajs through Nest's public custom-transport API. It subscribes to the
 * configured topics and dispatches each to the handler of its logical pattern, keeps key, value and headers
 * as the original bytes (strict parsing and the DLT need them untouched), uses the group id as given, and
 * in batch mode hands each fetched batch to the handler of the pattern's batch form. Offsets are resolved only
 * once handled; a failed delivery parks its partition (see TransientFaultRetrier) instead of throwing into kafkajs.
 */
export class BillingKafkaServer extends Server<Record<string, never>, KafkaServerStatus> implements CustomTransportStrategy {
  override readonly propagatesEventHandlerErrors = true;
  private readonly groupCommits = new Map<string, GroupCommitQueue<FetchedMessage>>();
  private consumer?: Consumer;
  private stopping = false;
  private stopTakingUndecodable = (): void => undefined;

  constructor(
    private readonly options: KafkaServerOptions,
    private readonly delivery: DeliveryOptions,
    private readonly patternByTopic: ReadonlyMap<string, string>,
    private readonly topicsToCreate: ITopicConfig[] = [],
    private readonly consumeMode: ConsumeMode = 'message',
    private readonly batchMode: BatchModeOptions = { maxConcurrentTransactions: 2, maxEventsPerTransaction: 2000 },
  ) {
    super();
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      await this.start();
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /** Stops fetching, waits for the message or batch in flight, commits and leaves the group. */
  async close(): Promise<void> {
    this.stopping = true;
    this.stopTakingUndecodable();
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.disconnect();
    await this.delivery.storePassedOver();
  }

  on(): never {
    throw new Error('BillingKafkaServer reports its state through `status`; it has no event listeners');
  }

  unwrap<T>(): T {
    if (!this.consumer) throw new Error('the Kafka consumer is not started');
    return this.consumer as T;
  }

  private async start(): Promise<void> {
    this.assertHandlers();
    const kafka = new BoundedKafka(this.options.client, this.options.silence);
    await this.createMissingTopics(kafka);
    const consumer = kafka.consumer(this.options.consumer);
    this.consumer = consumer;
    this.reportStatus(consumer);
    this.stopTakingUndecodable();
    const stopTaking = onUndecodableBatch((batch) => this.parkUndecodable(consumer, batch));
    this.stopTakingUndecodable = () => void stopTaking();
    await consumer.connect();
    await consumer.subscribe({ ...this.options.subscribe, topics: [...this.patternByTopic.keys()] });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart && !this.stopping) this.delivery.onConsumerDead(payload.error);
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
      const passed = passedOverBy(event);
      if (passed) this.delivery.passedOver(passed.topic, passed.partition, passed.lastOffset);
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.delivery.retrier.assigned(payload.memberAssignment);
      this.delivery.undecodable.keepOnly(assignedKeys(payload.memberAssignment));
      this.resumeAtStoredOffsets(consumer, kafka, payload.memberAssignment).catch((error: unknown) => {
        // Never resume unpositioned: Kafka's committed offset may be ahead of a restored database.
        if (this.isCurrent(consumer)) this.delivery.onConsumerDead(error instanceof Error ? error : new Error(String(error)));
      });
    });
    // Both modes take whole fetched batches and resolve offsets themselves: a failed delivery parks its partition
    // (see TransientFaultRetrier) and returns, instead of throwing into kafkajs.
    const eachBatch = this.consumeMode === 'message' ? (p: EachBatchPayload) => this.handleMessages(p) : (p: EachBatchPayload) => this.handleBatch(p);
    await consumer.run({ ...this.options.run, eachBatchAutoResolve: false, eachBatch });
  }

  /**
   * Runs as the group assigns partitions: they stay paused (from the synchronous event handler on, so before
   * the first fetch) until each is moved to its stored offset.
   */
  private async resumeAtStoredOffsets(consumer: Consumer, kafka: Kafka, assignment: Assignment): Promise<void> {
    const partitions = Object.entries(assignment).map(([topic, numbers]) => ({ topic, partitions: [...numbers] }));
    consumer.pause(partitions);
    const positions = await this.delivery.resumePositions(
      assignment,
      (topic) => logStartOffsets(kafka, topic),
      () => !this.isCurrent(consumer),
    );
    // Stopped meanwhile, or replaced by a restarted consumer, whose own group join positions it: kafkajs refuses a
    // seek on a stopped consumer.
    if (!this.isCurrent(consumer)) return;
    for (const { topic, partition, nextOffset } of positions) consumer.seek({ topic, partition, offset: nextOffset });
    consumer.resume(partitions);
  }

  /**
   * A batch of this consumer's topics that cannot be decoded stops its own partition only: paused here, synchronously
   * while the fetch response is decoded, so kafkajs drops it from this fetch and fetches it no more (a rebalance
   * resumes it, and the same batch parks it again). Its offset is not moved: skipping events is the operator's call.
   */
  private parkUndecodable(consumer: Consumer, batch: UndecodableBatch): boolean {
    if (!this.isCurrent(consumer) || !this.patternByTopic.has(batch.topic)) return false;
    consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
    this.delivery.undecodable.park(batch);
    return true;
  }

  private isCurrent(consumer: Consumer): boolean {
    return !this.stopping && this.consumer === consumer;
  }

  /** A subscribed topic without a handler would lose its messages; refuse to start instead. */
  private assertHandlers(): void {
    const wanted = [...new Set(this.patternByTopic.values())].map((pattern) => this.handledPattern(pattern));
    const missing = wanted.filter((pattern) => !this.getHandlerByPattern(pattern));
    if (missing.length > 0) throw new MissingHandlerError(`no handler for the Kafka pattern(s) ${missing.join(', ')}`);
  }

  private handledPattern(pattern: string): string {
    return this.consumeMode === 'message' ? pattern : batchPatternOf(pattern);
  }

  private reportStatus(consumer: Consumer): void {
    const { CONNECT, DISCONNECT, REBALANCING, STOP, CRASH } = consumer.events;
    consumer.on(CONNECT, () => this._status$.next('connected'));
    consumer.on(DISCONNECT, () => this._status$.next('disconnected'));
    consumer.on(REBALANCING, () => this._status$.next('rebalancing'));
    consumer.on(STOP, () => this._status$.next('stopped'));
    consumer.on(CRASH, () => this._status$.next('crashed'));
  }

  /** One message at a time, each acknowledged once handled; a failure parks the partition at that message. */
  private async handleMessages(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { topic, partition } = batch;
    for (const message of batch.messages) {
      if (!payload.isRunning() || payload.isStale()) return;
      const handled = await this.delivery.retrier.deliver(
        { topic, partition, offset: message.offset },
        () =>
          this.handleMessage(
            { topic, partition, message, heartbeat: () => payload.heartbeat(), pause: () => payload.pause() },
            settlesThroughOf(batch, message),
          ),
        this.partitionControl(payload),
      );
      if (!handled) return;
      payload.resolveOffset(message.offset);
    }
    await payload.heartbeat();
  }

  private async handleMessage(payload: EachMessagePayload, settlesThrough?: string): Promise<void> {
    const { topic, partition, message } = payload;
    const original = { ...message, headers: { ...(message.headers ?? {}) }, topic, partition };
    const context = new KafkaContext([original as never, partition, topic, this.consumer!, () => payload.heartbeat(), null as never]);
    const delivered = fetched(topic, partition, message, settlesThrough);
    await this.delivery.tracing.consumeMessage(delivered, this.options.consumer.groupId, () =>
      this.dispatch(this.patternByTopic.get(topic) ?? topic, new Delivery('message', [delivered]), context),
    );
  }

  /** Offsets of a partition's batch are resolved only once the transaction holding its events commits. */
  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0 || !payload.isRunning() || payload.isStale()) return;
    const { topic, partition } = batch;
    const messages = batch.messages.map((m) => fetched(topic, partition, m, settlesThroughOf(batch, m)));
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

  private groupCommitFor(pattern: string): GroupCommitQueue<FetchedMessage> {
    let queue = this.groupCommits.get(pattern);
    if (!queue) {
      const { maxConcurrentTransactions, maxEventsPerTransaction } = this.batchMode;
      queue = new GroupCommitQueue((messages) => this.dispatchBatch(pattern, messages), maxConcurrentTransactions, maxEventsPerTransaction);
      this.groupCommits.set(pattern, queue);
    }
    return queue;
  }

  private async dispatchBatch(pattern: string, messages: FetchedMessage[]): Promise<void> {
    const [first] = messages;
    const context = new KafkaContext([first as never, first.partition, first.topic, this.consumer!, () => Promise.resolve(), null as never]);
    await this.delivery.tracing.consumeBatch(messages, this.options.consumer.groupId, () => this.dispatch(pattern, new Delivery('batch', messages), context));
  }

  /** Runs the handler (with its interceptors and filters) and waits for its outcome, so a failure reaches kafkajs. */
  private async dispatch(pattern: string, data: Delivery, context: KafkaContext): Promise<void> {
    const handler = this.getHandlerByPattern(pattern);
    if (!handler) throw new MissingHandlerError(`no handler for the Kafka pattern ${pattern}`);
    await lastValueFrom(this.transformToObservable(await handler(data, context)), { defaultValue: undefined });
  }

  /** A consumer cannot subscribe to a topic that does not exist yet, and a DLT must exist before poison arrives. */
  private async createMissingTopics(kafka: Kafka): Promise<void> {
    if (this.topicsToCreate.length === 0) return;
    const admin = kafka.admin();
    await admin.connect();
    try {
      await createTopicsWithLeaders(admin, this.topicsToCreate);
    } finally {
      await admin.disconnect();
    }
  }
}

/** Key, value and headers as the original bytes: strict parsing and the dead-letter topic need them untouched. */
function fetched(topic: string, partition: number, message: KafkaMessage, settlesThrough?: string): FetchedMessage {
  const delivered = { key: message.key, value: message.value, headers: { ...(message.headers ?? {}) }, topic, partition, offset: message.offset };
  return settlesThrough === undefined ? delivered : { ...delivered, settlesThrough };
}

/**
 * For the last message of a batch, the last record kafkajs fetched after it, if any: only transaction markers and
 * aborted messages follow the last message a batch hands over. Settling the message settles them.
 */
export function settlesThroughOf(batch: Pick<EachBatchPayload['batch'], 'messages' | 'lastOffset'>, message: KafkaMessage): string | undefined {
  if (message !== batch.messages[batch.messages.length - 1]) return undefined;
  const lastOffset = batch.lastOffset();
  return BigInt(lastOffset) > BigInt(message.offset) ? lastOffset : undefined;
}

/** What kafkajs' END_BATCH_PROCESS event says of a fetched batch (firstOffset is null when it held no record at or after the fetch offset). */
interface EndBatchProcess {
  topic: string;
  partition: number;
  batchSize: number;
  firstOffset: string | null;
  lastOffset: string;
}

/**
 * A fetch kafkajs consumed itself: all its records were transaction markers or aborted messages, so it handed no
 * batch over (a fetch emptied by compaction has no first offset: nothing known was passed).
 */
export function passedOverBy({ payload }: { payload: EndBatchProcess }): { topic: string; partition: number; lastOffset: string } | undefined {
  if (payload.batchSize > 0 || payload.firstOffset == null) return undefined;
  return { topic: payload.topic, partition: payload.partition, lastOffset: payload.lastOffset };
}

function assignedKeys(assignment: Assignment): Set<string> {
  return new Set(Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((p) => `${topic}/${p}`)));
}

async function logStartOffsets(kafka: Kafka, topic: string): Promise<ReadonlyMap<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.low]));
  } finally {
    await admin.disconnect();
  }
}
