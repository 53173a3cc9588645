import { KafkaAdmin } from '../kafka/kafka-admin';
import { KafkaClient } from '../kafka/kafka-client';
import { OffsetSpan, SpanBatchHandler } from '../kafka/span-reader';
import { RangeBound, RangeBoundError } from './range-bound';

/** Offsets [start, end) of one partition. */
export type Span = OffsetSpan;

export type BatchHandler = SpanBatchHandler<Span>;

/** Kafka's side of reconcile: offsets of a range and reading spans of offsets (what is pending comes from consumer_offsets). */
export class TopicSpans {
  constructor(
    private readonly kafka: KafkaClient,
    private readonly admin: KafkaAdmin,
  ) {}

  /** Every partition of the topic is covered: one left out of an offset bound runs from its first or to its last offset. */
  async resolve(topic: string, from: RangeBound, to: RangeBound): Promise<Span[]> {
    const watermarks = await this.admin.topicOffsets(topic);
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
    const offsets = await this.admin.offsetsForTime(topic, at);
    return new Map(offsets.map((o) => [o.partition, Number(o.offset)]));
  }

  async endOffsets(topic: string): Promise<Map<number, number>> {
    const watermarks = await this.admin.topicOffsets(topic);
    return new Map(watermarks.map((w) => [w.partition, Number(w.high)]));
  }

  private async offsetsAt(topic: string, bound: RangeBound, unbounded: 'low' | 'high'): Promise<Map<number, number>> {
    if (bound.kind === 'offsets') return new Map(bound.offsets);
    return this.offsetsForTime(topic, bound.at).catch((error: Error) => {
      throw new Error(`offset-for-time lookup of ${topic} (${unbounded} bound) failed: ${error.message}`);
    });
  }

  read(spans: readonly Span[], onBatch: BatchHandler, idleTimeoutMs: number): Promise<void> {
    return this.kafka.readSpans(spans, onBatch, idleTimeoutMs, this.admin);
  }
}
