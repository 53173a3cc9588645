import { Consumer, ConsumerConfig, ConsumerRunConfig, EachBatchPayload, ITopicConfig, Kafka, KafkaMessage } from 'kafkajs';
import { createTopicsWithLeaders } from './kafka-topics';
import { onUndecodableBatch, UndecodableBatch } from './fetch-decoding';
import { PartitionPosition, PendingOffsets } from './pending-offsets';

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

/** The partitions of each topic assigned to this member. */
export type PartitionAssignment = Readonly<Record<string, readonly number[]>>;

/** A partition's fetched messages, handed over in offset order; nothing is committed until resolved. */
export interface PartitionBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly FetchedMessage[];
  /** False once the consumer stops or the group moved the partition: stop handing its messages on. */
  isCurrent(): boolean;
  /** Marks everything up to this message handled (the batch's last message: also the markers fetched after it). */
  resolveThrough(message: FetchedMessage): void;
  heartbeat(): Promise<void>;
  /** Stops fetching the partition; the function returned resumes it. */
  pause(): () => void;
  /** Makes the next fetch of the partition start at `offset` again (nothing, once this consumer stopped). */
  rewind(offset: string): void;
}

export type GroupConsumerStatus = 'connected' | 'disconnected' | 'rebalancing' | 'stopped' | 'crashed';

/** What the consumer tells its owner; each callback runs synchronously inside kafkajs' event handler. */
export interface GroupConsumerListener {
  status(status: GroupConsumerStatus): void;
  /** kafkajs gave up on the consumer; `willRestart` false: for good. */
  crashed(error: Error, willRestart: boolean): void;
  /** A fetch of only transaction markers and aborted messages, up to `lastOffset`, was consumed without handing anything over. */
  passedOver(topic: string, partition: number, lastOffset: string): void;
  /** The group assigned these partitions, before their first fetch. */
  assigned(assignment: PartitionAssignment): void;
  /** A record batch that cannot be decoded; answer true to park its partition (it is then paused here). */
  undecodable(batch: UndecodableBatch): boolean;
}

export interface GroupConsumerOptions {
  /** The client the member, and the admin it needs, are made with. */
  kafka: Kafka;
  /** The group id is used as given. */
  consumer: ConsumerConfig;
  subscribe?: { fromBeginning?: boolean };
  run?: Omit<ConsumerRunConfig, 'eachMessage' | 'eachBatch' | 'eachBatchAutoResolve' | 'autoCommit' | 'autoCommitInterval' | 'autoCommitThreshold'>;
  /** How often the handled positions are committed to Kafka (for lag tools; where a partition resumes is the owner's call). */
  commitIntervalMs: number;
  /** Created when missing, before subscribing: a consumer cannot subscribe to a missing topic, and a DLT must exist before poison arrives. */
  topicsToCreate?: readonly ITopicConfig[];
}

/**
 * The kafkajs consumer group member behind the Kafka transport: key, value and headers kept as the original bytes,
 * offsets resolved only by the owner. What it hands over are the project's own types; its options are kafkajs'
 * (built by the transport's factory, which imports no kafkajs name).
 */
export class GroupConsumer {
  private readonly kafka: Kafka;
  private readonly consumer: Consumer;
  private stopTakingUndecodable = (): void => undefined;
  private readonly handled = new PendingOffsets();
  private commitTimer?: NodeJS.Timeout;
  /**
   * Commits through the group session of the latest batch: kafkajs' `consumer.commitOffsets` does nothing, and
   * reports success, once its runner is stopping, which is when the last batches in flight end.
   */
  private commitInSession?: EachBatchPayload['commitOffsetsIfNecessary'];
  private stopping = false;
  readonly groupId: string;

  constructor(private readonly options: GroupConsumerOptions) {
    this.kafka = options.kafka;
    this.consumer = this.kafka.consumer(withPollsWithinHeartbeat(options.consumer));
    this.groupId = options.consumer.groupId;
  }

  async start(topics: readonly string[], listener: GroupConsumerListener, eachBatch: (batch: PartitionBatch) => Promise<void>): Promise<void> {
    await this.createMissingTopics();
    this.listen(listener);
    await this.consumer.connect();
    await this.consumer.subscribe({ ...this.options.subscribe, topics: [...topics] });
    // kafkajs would commit after every partition's batch: an OffsetCommit round trip inside every fetch cycle.
    await this.consumer.run({
      ...this.options.run,
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.takeBatch(payload, eachBatch),
    });
    if (this.stopping) return;
    this.commitTimer = setInterval(() => void this.commitHandled(), this.options.commitIntervalMs).unref();
  }

  /** Stops fetching, waits for the batches in flight, commits and leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.detach();
    await this.commitHandled();
    await this.consumer.disconnect();
  }

  /** Tells the listener nothing more (a consumer kafkajs gave up on, replaced by a new one). */
  detach(): void {
    this.stopTakingUndecodable();
    clearInterval(this.commitTimer);
  }

  pause(assignment: PartitionAssignment): void {
    this.consumer.pause(topicPartitions(assignment));
  }

  resume(assignment: PartitionAssignment): void {
    this.consumer.resume(topicPartitions(assignment));
  }

  /** The next fetch of the partition starts at `offset`, and Kafka's committed offset follows it there. */
  seek(topic: string, partition: number, offset: string): void {
    this.consumer.seek({ topic, partition, offset });
    this.handled.record(topic, partition, offset);
  }

  /** Per partition of the topic, the first offset the broker still holds. */
  async logStartOffsets(topic: string): Promise<ReadonlyMap<number, string>> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.low]));
    } finally {
      await admin.disconnect();
    }
  }

  /** A batch that ends once the consumer is stopping commits at once: the group is left right after the last one. */
  private async takeBatch(payload: EachBatchPayload, eachBatch: (batch: PartitionBatch) => Promise<void>): Promise<void> {
    this.commitInSession = (offsets) => payload.commitOffsetsIfNecessary(offsets);
    await eachBatch(this.partitionBatchOf(payload));
    // Also a batch that ends during stop()'s own commit: the runner still runs then, and stops right after.
    if (this.stopping || !payload.isRunning()) await this.commitHandled();
  }

  /** A failed commit is retried at the next interval: a rebalance in progress refuses commits for a moment. */
  private async commitHandled(): Promise<void> {
    await this.handled
      .commit((positions) => (this.commitInSession ? this.commitInSession(byTopic(positions)) : this.consumer.commitOffsets([...positions])))
      .catch((error: unknown) => {
        const retriable = (error as { retriable?: boolean }).retriable === true;
        const retry = this.stopping ? 'the successor commits from its stored offsets' : 'retried at the next interval';
        this.consumer.logger()[retriable ? 'debug' : 'warn'](`offset commit failed; ${retry}`, { error: String(error) });
      });
  }

  private partitionBatchOf(payload: EachBatchPayload): PartitionBatch {
    const { batch } = payload;
    const { topic, partition } = batch;
    const messages = batch.messages.map((m) => fetched(topic, partition, m, settlesThroughOf(batch, m)));
    const last = messages[messages.length - 1];
    return {
      topic,
      partition,
      messages,
      isCurrent: () => payload.isRunning() && !payload.isStale(),
      resolveThrough: (message) => {
        const through = message === last ? batch.lastOffset() : message.offset;
        payload.resolveOffset(through);
        this.handled.record(topic, partition, nextOffset(through));
      },
      heartbeat: () => payload.heartbeat(),
      pause: () => payload.pause(),
      // kafkajs refuses a seek on a consumer that stopped.
      rewind: (offset) => {
        if (payload.isRunning()) this.consumer.seek({ topic, partition, offset });
      },
    };
  }

  private listen(listener: GroupConsumerListener): void {
    const { CONNECT, DISCONNECT, REBALANCING, STOP, CRASH, END_BATCH_PROCESS, GROUP_JOIN } = this.consumer.events;
    this.consumer.on(CONNECT, () => listener.status('connected'));
    this.consumer.on(DISCONNECT, () => listener.status('disconnected'));
    this.consumer.on(REBALANCING, () => listener.status('rebalancing'));
    this.consumer.on(STOP, () => listener.status('stopped'));
    this.consumer.on(CRASH, ({ payload }) => {
      // kafkajs restarts with a new group session: the last batch's one would be refused until a batch comes.
      this.commitInSession = undefined;
      listener.status('crashed');
      listener.crashed(payload.error, payload.restart);
    });
    this.consumer.on(END_BATCH_PROCESS, (event) => {
      const passed = passedOverBy(event);
      if (!passed) return;
      this.handled.record(passed.topic, passed.partition, nextOffset(passed.lastOffset));
      listener.passedOver(passed.topic, passed.partition, passed.lastOffset);
    });
    this.consumer.on(GROUP_JOIN, ({ payload }) => {
      this.commitInSession = undefined;
      this.handled.keepOnly(payload.memberAssignment);
      listener.assigned(payload.memberAssignment);
    });
    // Paused synchronously while the fetch response is decoded, so kafkajs drops the batch from this fetch.
    const stopTaking = onUndecodableBatch((batch) => {
      const parked = listener.undecodable(batch);
      if (parked) this.consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
      return parked;
    });
    this.stopTakingUndecodable = () => void stopTaking();
  }

  private async createMissingTopics(): Promise<void> {
    const topics = this.options.topicsToCreate ?? [];
    if (topics.length === 0) return;
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await createTopicsWithLeaders(admin, [...topics]);
    } finally {
      await admin.disconnect();
    }
  }
}

/** kafkajs' defaults, which the options leave in force when unset. */
const KAFKAJS_MAX_WAIT_MS = 5_000;
const KAFKAJS_HEARTBEAT_INTERVAL_MS = 3_000;

/**
 * A fetch's long poll no longer than the heartbeat interval: kafkajs sends a heartbeat only between fetches, so a
 * 5-second poll stretches a 2-second interval to 5 s or more, and with a 6-second session a slow answer costs the
 * member its partitions (a rebalance with nothing wrong).
 */
export function withPollsWithinHeartbeat(consumer: ConsumerConfig): ConsumerConfig {
  const heartbeatInterval = consumer.heartbeatInterval ?? KAFKAJS_HEARTBEAT_INTERVAL_MS;
  return { ...consumer, maxWaitTimeInMs: Math.min(consumer.maxWaitTimeInMs ?? KAFKAJS_MAX_WAIT_MS, heartbeatInterval) };
}

const nextOffset = (offset: string) => String(BigInt(offset) + 1n);

function byTopic(positions: readonly PartitionPosition[]): { topics: { topic: string; partitions: { partition: number; offset: string }[] }[] } {
  const topics = Map.groupBy(positions, (p) => p.topic);
  return { topics: [...topics].map(([topic, ofTopic]) => ({ topic, partitions: ofTopic.map(({ partition, offset }) => ({ partition, offset })) })) };
}

function topicPartitions(assignment: PartitionAssignment): { topic: string; partitions: number[] }[] {
  return Object.entries(assignment).map(([topic, partitions]) => ({ topic, partitions: [...partitions] }));
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
