import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Logger } from 'pino';
import { KafkaConfig } from '../config/configuration';
import { BillingMetrics } from '../observability/billing-metrics';
import { ROOT_LOGGER } from '../observability/root-logger';
import { SettledMessage, SettledPositions } from './settled-positions';
import { ConsumerOffsetsRepository, PartitionOffset } from './consumer-offsets.repository';
import { cappedBackoffMs } from '../common/backoff';

export type Assignment = Readonly<Record<string, readonly number[]>>;
/** Per partition of a topic, the first offset Kafka still holds. */
export type LogStartOffsets = (topic: string) => Promise<ReadonlyMap<number, string>>;

export interface OffsetGap {
  topic: string;
  partition: number;
  storedOffset: string;
  logStartOffset: string;
  detectedAt: Date;
}

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;
/** How long positions passed over (markers, aborted messages) wait to be stored together in one statement. */
const PASSED_OVER_WRITE_DELAY_MS = 1_000;

/**
 * Offsets stored with the data, per consumer group: every transaction that settles messages records where
 * their partitions resume, and a newly assigned partition resumes there, so a database restored from a
 * backup re-reads exactly what it lost (the claims skip what it still holds). Kafka's own commits continue,
 * for lag tools, but are no longer the source of truth.
 */
@Injectable()
export class ConsumerOffsets implements SettledPositions, OnApplicationShutdown {
  private readonly logger: Logger;
  private readonly gaps = new Map<string, OffsetGap>();
  private readonly passedOver = new Map<string, PartitionOffset>();
  private passedOverWrite?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();
  private shutDown = false;

  constructor(
    private readonly config: KafkaConfig,
    private readonly repository: ConsumerOffsetsRepository,
    private readonly metrics: BillingMetrics,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ context: 'ConsumerOffsets' });
  }

  /**
   * These messages are settled: each partition resumes after the highest (and after the markers and aborted
   * messages it settles through). In the caller's transaction when there is one.
   */
  record(messages: readonly SettledMessage[]): Promise<void> {
    const next = new Map<string, PartitionOffset>();
    for (const { topic, partition, offset, settlesThrough } of messages) keepHighest(next, { topic, partition, nextOffset: after(settlesThrough ?? offset) });
    return this.repository.advance(this.config.groupId, [...next.values()]);
  }

  /**
   * The consumer passed over a fetch that held only transaction markers and aborted messages, up to `lastOffset`,
   * without handing any of it over. A partition is fetched only from where everything before is settled, so it
   * may resume after them. Stored lazily, every partition in one statement, so that a stream of such fetches
   * costs one write a second instead of one each; a crash before that only re-reads them.
   */
  passOver(topic: string, partition: number, lastOffset: string): void {
    this.storeLater({ topic, partition, nextOffset: after(lastOffset) });
  }

  /** Stores the positions passed over so far now (the consumer stopped); a failure keeps them for the next try. */
  async storePassedOver(): Promise<void> {
    clearTimeout(this.passedOverWrite);
    this.passedOverWrite = undefined;
    this.writing = this.writing.then(() => this.writePassedOver());
    await this.writing;
  }

  onApplicationShutdown(): void {
    this.shutDown = true;
    clearTimeout(this.passedOverWrite);
    this.passedOverWrite = undefined;
  }

  /**
   * Where the partitions just assigned resume: the stored offset when there is one (none: Kafka's committed
   * offset). Reading them is retried until it succeeds or `stopping` says to give up: consuming from Kafka's
   * offsets instead could skip what a restored database lost.
   */
  async positionsFor(assignment: Assignment, logStart: LogStartOffsets, stopping: () => boolean): Promise<PartitionOffset[]> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.readPositions(assignment, logStart);
      } catch (error) {
        if (stopping()) return [];
        const delayMs = cappedBackoffMs(attempt, FIRST_RETRY_MS, MAX_RETRY_MS);
        this.logger.warn(
          { error: { name: (error as Error).name, message: (error as Error).message }, retry_in_ms: delayMs },
          'stored offsets unreadable; assigned partitions stay paused',
        );
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  /** Partitions whose stored offset Kafka had already deleted past when they were assigned. */
  currentGaps(): OffsetGap[] {
    return [...this.gaps.values()];
  }

  private storeLater(position: PartitionOffset): void {
    keepHighest(this.passedOver, position);
    if (!this.shutDown) this.passedOverWrite ??= setTimeout(() => void this.storePassedOver(), PASSED_OVER_WRITE_DELAY_MS).unref();
  }

  private async writePassedOver(): Promise<void> {
    const offsets = [...this.passedOver.values()];
    this.passedOver.clear();
    if (offsets.length === 0) return;
    try {
      await this.repository.advance(this.config.groupId, offsets);
    } catch (error) {
      this.logger.warn(
        { error: { name: (error as Error).name, message: (error as Error).message }, partitions: offsets.length },
        'positions past transaction markers and aborted messages not stored yet; retrying',
      );
      offsets.forEach((offset) => this.storeLater(offset));
    }
  }

  private async readPositions(assignment: Assignment, logStart: LogStartOffsets): Promise<PartitionOffset[]> {
    const assigned = new Set(Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((p) => `${topic}/${p}`)));
    const stored = (await this.repository.find(this.config.groupId, Object.keys(assignment))).filter((o) => assigned.has(`${o.topic}/${o.partition}`));
    const positions: PartitionOffset[] = [];
    for (const topic of new Set(stored.map((o) => o.topic))) {
      const starts = await logStart(topic);
      for (const offset of stored.filter((o) => o.topic === topic)) positions.push(this.checkedAgainstLogStart(offset, starts.get(offset.partition)));
    }
    return positions;
  }

  /** A gap is an alarm, never a silence: Kafka deleted events the database never saw. */
  private checkedAgainstLogStart(stored: PartitionOffset, logStartOffset: string | undefined): PartitionOffset {
    const key = `${stored.topic}/${stored.partition}`;
    if (logStartOffset === undefined || BigInt(stored.nextOffset) >= BigInt(logStartOffset)) {
      this.gaps.delete(key);
      return stored;
    }
    this.gaps.set(key, { topic: stored.topic, partition: stored.partition, storedOffset: stored.nextOffset, logStartOffset, detectedAt: new Date() });
    this.metrics.storedOffsetGaps.inc({ topic: stored.topic, partition: stored.partition });
    this.logger.error(
      {
        topic: stored.topic,
        partition: stored.partition,
        stored_offset: stored.nextOffset,
        log_start_offset: logStartOffset,
        lost_from: stored.nextOffset,
        lost_to: logStartOffset,
      },
      'stored offset is below the log start: Kafka deleted events the database never saw (restore older than the topic retention); resuming at the log start',
    );
    return { ...stored, nextOffset: logStartOffset };
  }
}

function after(offset: string): string {
  return (BigInt(offset) + 1n).toString();
}

function keepHighest(positions: Map<string, PartitionOffset>, position: PartitionOffset): void {
  const key = `${position.topic}/${position.partition}`;
  const known = positions.get(key);
  if (!known || BigInt(known.nextOffset) < BigInt(position.nextOffset)) positions.set(key, position);
}
