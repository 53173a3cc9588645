import { randomBytes } from 'node:crypto';
import { Admin, Kafka, KafkaMessage } from 'kafkajs';
import { RangeBound, RangeBoundError } from './range-bound';

/** Offsets [start, end) of one partition. */
export interface Span {
  topic: string;
  partition: number;
  start: number;
  end: number;
}

export type BatchHandler = (span: Span, messages: KafkaMessage[]) => Promise<void>;

/** Kafka's side of reconcile: offsets of a range and reading spans of offsets (what is pending comes from consumer_offsets). */
export class TopicSpans {
  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
  ) {}

  /** Every partition of the topic is covered: one left out of an offset bound runs from its first or to its last offset. */
  async resolve(topic: string, from: RangeBound, to: RangeBound): Promise<Span[]> {
    const watermarks = await this.admin.fetchTopicOffsets(topic);
    const bounds = new Map(watermarks.map((w) => [w.partition, { low: Number(w.low), high: Number(w.high) }]));
    for (const bound of [from, to]) {
      const unknown = bound.kind === 'offsets' ? [...bound.offsets.keys()].find((p) => !bounds.has(p)) : undefined;
      if (unknown !== undefined) throw new RangeBoundError(`${topic} has no partition ${unknown}`);
    }
    const [starts, ends] = await Promise.all([this.offsetsAt(topic, from, 'low'), this.offsetsAt(topic, to, 'high')]);
    return [...bounds].map(([partition, { low, high }]) => {
      const clamp = (offset: number) => Math.min(Math.max(offset, low), high);
      const start = clamp(starts.get(partition) ?? low);
      return { topic, partition, start, end: Math.max(start, clamp(ends.get(partition) ?? high)) };
    });
  }

  /** The first offset at or after the instant, per partition (the end offset when there is none). */
  async offsetsForTime(topic: string, at: Date): Promise<Map<number, number>> {
    const offsets = await this.admin.fetchTopicOffsetsByTimestamp(topic, at.getTime());
    return new Map(offsets.map((o) => [o.partition, Number(o.offset)]));
  }

  async endOffsets(topic: string): Promise<Map<number, number>> {
    const watermarks = await this.admin.fetchTopicOffsets(topic);
    return new Map(watermarks.map((w) => [w.partition, Number(w.high)]));
  }

  private async offsetsAt(topic: string, bound: RangeBound, unbounded: 'low' | 'high'): Promise<Map<number, number>> {
    if (bound.kind === 'offsets') return new Map(bound.offsets);
    return this.offsetsForTime(topic, bound.at).catch((error: Error) => {
      throw new Error(`offset-for-time lookup of ${topic} (${unbounded} bound) failed: ${error.message}`);
    });
  }

  /**
   * Reads the spans through a throwaway consumer group that seeks to their starts, never commits and is deleted
   * afterwards. One fetched batch at a time is handed over, so memory holds a fetch, never a topic.
   */
  async read(spans: readonly Span[], onBatch: BatchHandler, idleTimeoutMs: number): Promise<void> {
    const work = spans.filter((s) => s.start < s.end);
    if (work.length === 0) return;
    const groupId = `billing-reconcile.${randomBytes(4).toString('hex')}`;
    try {
      await this.consume(groupId, work, onBatch, idleTimeoutMs);
    } finally {
      await this.admin.deleteGroups([groupId]).catch(() => undefined);
    }
  }

  private async consume(groupId: string, work: readonly Span[], onBatch: BatchHandler, idleTimeoutMs: number): Promise<void> {
    const key = (topic: string, partition: number) => `${topic}/${partition}`;
    const remaining = new Map(work.map((s) => [key(s.topic, s.partition), s]));
    const consumer = this.kafka.consumer({ groupId, maxBytesPerPartition: 1 << 20, maxBytes: 8 << 20, maxWaitTimeInMs: 250 });
    const done = new Completion(idleTimeoutMs, () => `no message for ${idleTimeoutMs} ms before the end of ${[...remaining.keys()].join(', ')}`);
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [...new Set(work.map((s) => s.topic))], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async (payload) => {
          const { batch } = payload;
          const pause = () => payload.pause();
          const span = remaining.get(key(batch.topic, batch.partition));
          if (!span) return void pause();
          done.touch();
          // Thrown inside eachBatch, kafkajs would retry the batch forever: the run fails instead.
          const handled = await onBatch(
            span,
            batch.messages.filter((m) => Number(m.offset) >= span.start && Number(m.offset) < span.end),
          ).then(
            () => true,
            (error: Error) => (done.fail(error), false),
          );
          if (!handled) return void pause();
          await payload.heartbeat();
          if (Number(batch.lastOffset()) + 1 < span.end) return;
          pause();
          remaining.delete(key(span.topic, span.partition));
          if (remaining.size === 0) done.resolve();
        },
      });
      // Before the first fetch is handled: a batch from an earlier offset is dropped by kafkajs or filtered above.
      for (const span of work) consumer.seek({ topic: span.topic, partition: span.partition, offset: String(span.start) });
      await done.promise;
    } finally {
      done.dispose();
      await consumer.disconnect();
    }
  }
}

/** Settles when the work is done, or fails when nothing arrived for too long. */
class Completion {
  readonly promise: Promise<void>;
  resolve!: () => void;
  fail!: (error: Error) => void;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly idleTimeoutMs: number,
    private readonly describe: () => string,
  ) {
    this.promise = new Promise((resolve, reject) => ((this.resolve = resolve), (this.fail = reject)));
    this.touch();
  }

  touch(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fail(new Error(this.describe())), this.idleTimeoutMs);
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}
