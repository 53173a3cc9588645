import { randomBytes } from 'node:crypto';
import { Kafka } from 'kafkajs';
import { ConsumedMessage } from './kafka-message';
import { KafkaAdmin } from './kafka-admin';

/** Offsets [start, end) of one partition. */
export interface OffsetSpan {
  topic: string;
  partition: number;
  start: number;
  end: number;
}

export type SpanBatchHandler<S extends OffsetSpan = OffsetSpan> = (span: S, messages: ConsumedMessage[]) => Promise<void>;

/**
 * Reads the spans through a throwaway consumer group that seeks to their starts, never commits and is deleted
 * afterwards. One fetched batch at a time is handed over, so memory holds a fetch, never a topic.
 */
export async function readSpans<S extends OffsetSpan>(
  kafka: Kafka,
  admin: KafkaAdmin,
  spans: readonly S[],
  onBatch: SpanBatchHandler<S>,
  idleTimeoutMs: number,
): Promise<void> {
  const work = spans.filter((s) => s.start < s.end);
  if (work.length === 0) return;
  const groupId = `billing-reconcile.${randomBytes(4).toString('hex')}`;
  try {
    await consume(kafka, groupId, work, onBatch, idleTimeoutMs);
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
}

async function consume<S extends OffsetSpan>(
  kafka: Kafka,
  groupId: string,
  work: readonly S[],
  onBatch: SpanBatchHandler<S>,
  idleTimeoutMs: number,
): Promise<void> {
  const key = (topic: string, partition: number) => `${topic}/${partition}`;
  const remaining = new Map(work.map((s) => [key(s.topic, s.partition), s]));
  const consumer = kafka.consumer({ groupId, maxBytesPerPartition: 1 << 20, maxBytes: 8 << 20, maxWaitTimeInMs: 250 });
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
