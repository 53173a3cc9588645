import { CustomTransportStrategy, KafkaContext, Server } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { BillingError } from '../common/errors';
import { GroupConsumer, GroupConsumerListener, GroupConsumerStatus, PartitionAssignment, PartitionBatch } from '../kafka/group-consumer';
import { UndecodableBatch } from '../kafka/kafka-adapter';
import { ConsumedBatch, consumedBatchOf, FetchedMessage } from './consumed-batch';
import { GroupCommitQueue } from './group-commit.queue';
import { PartitionControl, TransientFaultRetrier } from './transient-fault.retrier';
import { LogStartOffsets } from '../consumer-offsets/consumer-offsets.service';
import { PartitionOffset } from '../consumer-offsets/consumer-offsets.repository';
import { Tracing } from '../tracing/tracing';
import { UndecodablePartitions } from '../observability/undecodable-partitions';

export interface DeliveryOptions {
  retrier: TransientFaultRetrier;
  /** Where newly assigned partitions resume (the offsets stored with the data); none listed: Kafka's committed offset. */
  resumePositions: (assignment: PartitionAssignment, logStart: LogStartOffsets, stopping: () => boolean) => Promise<PartitionOffset[]>;
  /** Called when kafkajs gives up on the consumer for good: a live process must not keep a dead consumer. */
  onConsumerDead: (error: Error) => void;
  /** Opens the consumer span of each group of batches. */
  tracing: Tracing;
  /** A fetch of only transaction markers and aborted messages, up to `lastOffset`, was consumed without being handed over. */
  passedOver: (topic: string, partition: number, lastOffset: string) => void;
  /** The consumer stopped: store what it passed over now. */
  storePassedOver: () => Promise<void>;
  /** Where a partition parked at a record batch the client cannot decode is reported. */
  undecodable: UndecodablePartitions;
}

export interface GroupCommitOptions {
  /** Transactions one consumer runs at once; batches arriving meanwhile join the next one. */
  maxConcurrentTransactions: number;
  maxEventsPerTransaction: number;
}

export interface BillingKafkaServerSettings {
  /** A new group member for each start (a restarted consumer is a new member). */
  consumer: () => GroupConsumer;
  delivery: DeliveryOptions;
  /** Each subscribed topic and the handler pattern its batches are dispatched to. */
  patternByTopic: ReadonlyMap<string, string>;
  groupCommit?: GroupCommitOptions;
}

export type KafkaServerStatus = GroupConsumerStatus;

export class MissingHandlerError extends BillingError {
  readonly code = 'order_events.missing_handler';
}

/**
 * A Nest transport built on the Kafka adapter's GroupConsumer through Nest's public custom-transport API. It
 * subscribes to the configured topics, hands the partitions' fetched batches, grouped (GroupCommitQueue), to the
 * pattern's handler as one ConsumedBatch, and resolves offsets only once handled; a failed delivery parks its
 * partition (see TransientFaultRetrier) instead of throwing into the client.
 */
export class BillingKafkaServer extends Server<Record<string, never>, KafkaServerStatus> implements CustomTransportStrategy {
  override readonly propagatesEventHandlerErrors = true;
  private readonly groupCommits = new Map<string, GroupCommitQueue<FetchedMessage>>();
  private readonly delivery: DeliveryOptions;
  private readonly groupCommit: GroupCommitOptions;
  private consumer?: GroupConsumer;
  private stopping = false;

  constructor(private readonly settings: BillingKafkaServerSettings) {
    super();
    this.delivery = settings.delivery;
    this.groupCommit = settings.groupCommit ?? { maxConcurrentTransactions: 2, maxEventsPerTransaction: 2000 };
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      await this.start();
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /** Stops fetching, waits for the batches in flight, commits and leaves the group. */
  async close(): Promise<void> {
    this.stopping = true;
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.stop();
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
    this.consumer?.detach();
    const consumer = this.settings.consumer();
    this.consumer = consumer;
    await consumer.start([...this.settings.patternByTopic.keys()], this.listenerFor(consumer), (batch) => this.handleBatch(batch));
  }

  private listenerFor(consumer: GroupConsumer): GroupConsumerListener {
    return {
      status: (status) => this._status$.next(status),
      crashed: (error, willRestart) => {
        if (!willRestart && !this.stopping) this.delivery.onConsumerDead(error);
      },
      passedOver: (topic, partition, lastOffset) => this.delivery.passedOver(topic, partition, lastOffset),
      assigned: (assignment) => {
        this.delivery.retrier.assigned(assignment);
        this.delivery.undecodable.keepOnly(assignedKeys(assignment));
        this.resumeAtStoredOffsets(consumer, assignment).catch((error: unknown) => {
          // Never resume unpositioned: Kafka's committed offset may be ahead of a restored database.
          if (this.isCurrent(consumer)) this.delivery.onConsumerDead(error instanceof Error ? error : new Error(String(error)));
        });
      },
      undecodable: (batch) => this.parkUndecodable(consumer, batch),
    };
  }

  /**
   * Runs as the group assigns partitions: they stay paused (from the synchronous event handler on, so before
   * the first fetch) until each is moved to its stored offset.
   */
  private async resumeAtStoredOffsets(consumer: GroupConsumer, assignment: PartitionAssignment): Promise<void> {
    consumer.pause(assignment);
    const positions = await this.delivery.resumePositions(
      assignment,
      (topic) => consumer.logStartOffsets(topic),
      () => !this.isCurrent(consumer),
    );
    // Stopped meanwhile, or replaced by a restarted consumer, whose own group join positions it: kafkajs refuses a
    // seek on a stopped consumer.
    if (!this.isCurrent(consumer)) return;
    for (const { topic, partition, nextOffset } of positions) consumer.seek(topic, partition, nextOffset);
    consumer.resume(assignment);
  }

  /**
   * A batch of this consumer's topics that cannot be decoded stops its own partition only: the consumer pauses it, so
   * it is fetched no more (a rebalance resumes it, and the same batch parks it again). Its offset is not moved:
   * skipping events is the operator's call.
   */
  private parkUndecodable(consumer: GroupConsumer, batch: UndecodableBatch): boolean {
    if (!this.isCurrent(consumer) || !this.settings.patternByTopic.has(batch.topic)) return false;
    this.delivery.undecodable.park(batch);
    return true;
  }

  private isCurrent(consumer: GroupConsumer): boolean {
    return !this.stopping && this.consumer === consumer;
  }

  /** A subscribed topic without a handler would lose its messages; refuse to start instead. */
  private assertHandlers(): void {
    const wanted = [...new Set(this.settings.patternByTopic.values())];
    const missing = wanted.filter((pattern) => !this.getHandlerByPattern(pattern));
    if (missing.length > 0) throw new MissingHandlerError(`no handler for the Kafka pattern(s) ${missing.join(', ')}`);
  }

  /**
   * A partition's fetched batch goes to the group commit in chunks of at most maxEventsPerTransaction messages
   * (1: a transaction per message); each chunk's offsets are resolved only once the transaction holding it commits.
   */
  private async handleBatch(batch: PartitionBatch): Promise<void> {
    const { topic, partition, messages } = batch;
    if (messages.length === 0) return;
    const queue = this.groupCommitFor(this.settings.patternByTopic.get(topic) ?? topic);
    for (const chunk of chunksOf(messages, this.groupCommit.maxEventsPerTransaction)) {
      if (!batch.isCurrent()) return;
      // A retry goes alone, so a partition that keeps failing does not drag the others' events into its failures.
      const handled = await this.delivery.retrier.deliver(
        { topic, partition, offset: chunk[0].offset },
        (isRetry) => queue.submit(chunk, { alone: isRetry }),
        this.partitionControl(batch),
      );
      if (!handled) return;
      batch.resolveThrough(chunk[chunk.length - 1]);
    }
    await batch.heartbeat();
  }

  private partitionControl(batch: PartitionBatch): PartitionControl {
    return {
      heartbeat: () => batch.heartbeat(),
      pause: () => batch.pause(),
      rewind: (offset) => batch.rewind(offset),
    };
  }

  private groupCommitFor(pattern: string): GroupCommitQueue<FetchedMessage> {
    let queue = this.groupCommits.get(pattern);
    if (!queue) {
      const { maxConcurrentTransactions, maxEventsPerTransaction } = this.groupCommit;
      queue = new GroupCommitQueue((messages) => this.dispatchBatch(pattern, messages), maxConcurrentTransactions, maxEventsPerTransaction);
      this.groupCommits.set(pattern, queue);
    }
    return queue;
  }

  private async dispatchBatch(pattern: string, messages: FetchedMessage[]): Promise<void> {
    const [first] = messages;
    const context = new KafkaContext([first as never, first.partition, first.topic, null as never, () => Promise.resolve(), null as never]);
    const { tracing } = this.delivery;
    const groupId = this.consumer?.groupId ?? '';
    const work = () => this.dispatch(pattern, consumedBatchOf(messages), context);
    // A group of one message continues its producer's trace; a larger group links to each producer.
    await (messages.length === 1 ? tracing.consumeMessage(first, groupId, work) : tracing.consumeBatch(messages, groupId, work));
  }

  /** Runs the handler (with its filters) and waits for its outcome, so a failure reaches the retrier. */
  private async dispatch(pattern: string, data: ConsumedBatch, context: KafkaContext): Promise<void> {
    const handler = this.getHandlerByPattern(pattern);
    if (!handler) throw new MissingHandlerError(`no handler for the Kafka pattern ${pattern}`);
    await lastValueFrom(this.transformToObservable(await handler(data, context)), { defaultValue: undefined });
  }
}

function chunksOf<T>(items: readonly T[], size: number): (readonly T[])[] {
  if (items.length <= size) return [items];
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

function assignedKeys(assignment: PartitionAssignment): Set<string> {
  return new Set(Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((p) => `${topic}/${p}`)));
}
