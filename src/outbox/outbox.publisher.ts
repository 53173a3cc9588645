import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { LazyConnection } from '../common/lazy-connection';
import { KafkaConfig, OutboxConfig } from '../config/configuration';
import { sendCompletely } from '../kafka/complete-send';
import { KafkaClient } from '../kafka/kafka-client';
import { KafkaProducer, OutgoingMessage } from '../kafka/kafka-producer';
import { KafkaLogging } from '../observability/logging.module';
import { PendingOutboxRow } from './outbox.repository';
import { RecordFraming, recordBytes } from '../kafka/record-size';
import { OpenSpan, Tracing } from '../tracing/tracing';

export const INVOICE_CREATED = 'invoice.created';

/** Sends outbox rows to OUTBOX_TOPIC and resolves only once the broker acknowledged all of them (acks -1). */
@Injectable()
export class OutboxPublisher implements OnApplicationShutdown {
  private readonly producer: LazyConnection<KafkaProducer>;
  private readonly client: KafkaClient;
  /** Resolves to the topic's partition count once it exists. */
  private topicCreated?: Promise<number>;

  constructor(
    private readonly kafka: KafkaConfig,
    private readonly config: OutboxConfig,
    kafkaLogging: KafkaLogging,
    private readonly tracing: Tracing,
  ) {
    // Few retries: a relay round must end (and release the relay cursor) while the broker is down; the relay retries it.
    this.client = new KafkaClient(kafka, {
      clientId: `${kafka.clientId}-outbox`,
      logCreator: kafkaLogging.logCreator,
      retries: 2,
      silence: kafkaLogging.connectivity,
    });
    this.producer = new LazyConnection(() => this.client.producer());
  }

  /**
   * One send, in row order: the idempotent producer with one request in flight keeps each key's order. A failure
   * closes the producer this send used. Once `abandoned` aborts (the caller gave up waiting), later sends get a new
   * producer and this one is closed when its send ends, so a late failure here never cuts a later send short.
   */
  async publish(rows: readonly PendingOutboxRow[], abandoned?: AbortSignal): Promise<void> {
    // One span per row, in its source event's trace: the message carries that span's traceparent downstream, and
    // none when the source event carried none (contract).
    const spans = rows.map((row) =>
      this.tracing.startSend(this.config.topic, row.traceparent, { 'billing.event_id': row.event_id, 'billing.source_event_id': row.source_event_id }),
    );
    let producer: KafkaProducer | undefined;
    const detach = () => producer && this.producer.forget(producer);
    abandoned?.addEventListener('abort', detach, { once: true });
    let failed = false;
    try {
      const partitions = await this.ensureTopic();
      const message = {
        topic: this.config.topic,
        acks: -1,
        // Shorter than the client's request timeout: slow replicas get an error answer, not a dropped connection.
        timeout: this.kafka.timeouts.produceAckTimeoutMs,
        messages: rows.map((row, i) => toMessage(row, row.traceparent === null ? null : (spans[i].traceparent ?? row.traceparent))),
      };
      const shared = await this.producer.get();
      abandoned?.throwIfAborted(); // nothing sent yet: the shared producer stays as it is
      producer = shared;
      // In order, one send at a time: a key's messages never overtake each other across sends either.
      for (const messages of sendsWithin(message.messages, this.config.sendMaxBytes)) {
        abandoned?.throwIfAborted(); // the retried round sends these rows again
        // A send kafkajs reports done may have skipped a partition whose leader moved: such a round fails and is retried.
        await sendCompletely(producer, { ...message, messages }, partitions);
      }
      endAll(spans);
    } catch (error) {
      failed = true;
      endAll(spans, error);
      throw error;
    } finally {
      abandoned?.removeEventListener('abort', detach);
      if (producer && (failed || abandoned?.aborted)) await this.producer.closeClient(producer);
    }
  }

  /** Created like the input topic, so the first announcement does not race the broker's auto-creation. */
  private ensureTopic(): Promise<number> {
    this.topicCreated ??= this.createTopic().catch((error: unknown) => {
      this.topicCreated = undefined;
      throw error;
    });
    return this.topicCreated;
  }

  private async createTopic(): Promise<number> {
    const admin = this.client.admin();
    await admin.connect();
    try {
      await admin.createTopics([{ topic: this.config.topic, numPartitions: this.kafka.topicPartitions }]);
      return await admin.partitionCount(this.config.topic);
    } finally {
      await admin.disconnect();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer.close();
  }
}

function endAll(spans: readonly OpenSpan[], error?: unknown): void {
  for (const span of spans) span.end(error);
}

/** Kafka's framing of a record and of each header (lengths, attributes, timestamp and offset deltas), at most. */
const RECORD_FRAMING: RecordFraming = { perRecord: 32, perHeader: 32 };

/**
 * The messages cut, in order, into sends of at most `maxBytes`, so no partition's record batch exceeds the topic's
 * limit, which would be refused on every retry and stop the relay. A message larger than the limit goes alone.
 */
export function sendsWithin(messages: readonly OutgoingMessage[], maxBytes: number): OutgoingMessage[][] {
  const sends: OutgoingMessage[][] = [];
  let current: OutgoingMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = recordBytes(message, RECORD_FRAMING);
    if (current.length > 0 && bytes + size > maxBytes) {
      sends.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) sends.push(current);
  return sends;
}

/** traceparent: the header to send, by default the source event's (the publish span's when tracing is on). */
export function toMessage(row: PendingOutboxRow, traceparent = row.traceparent): OutgoingMessage {
  const value = {
    event_id: row.event_id,
    event_type: INVOICE_CREATED,
    invoice_id: row.invoice_id,
    source_event_id: row.source_event_id,
    tenant_id: row.tenant_id,
    order_id: row.order_id,
    amount: row.amount,
    currency: row.currency,
    created_at: row.invoice_created_at.toISOString(),
  };
  const headers: Record<string, string> = { 'x-source-event-id': row.source_event_id };
  if (traceparent !== null) headers.traceparent = traceparent;
  return { key: row.order_id, value: JSON.stringify(value), headers };
}
