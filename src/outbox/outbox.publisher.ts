import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Kafka, Message, Partitioners, Producer } from 'kafkajs';
import { LazyConnection } from '../common/lazy-connection';
import { KafkaConfig, OutboxConfig } from '../config/configuration';
import { KafkaLogging } from '../observability/logging.module';
import { PendingOutboxRow } from './outbox.repository';

export const INVOICE_CREATED = 'invoice.created';

/** Sends outbox rows to OUTBOX_TOPIC and resolves only once the broker acknowledged all of them (acks -1). */
@Injectable()
export class OutboxPublisher implements OnApplicationShutdown {
  private readonly producer: LazyConnection<Producer>;

  constructor(
    kafka: KafkaConfig,
    private readonly config: OutboxConfig,
    kafkaLogging: KafkaLogging,
  ) {
    this.producer = new LazyConnection(() =>
      new Kafka({ clientId: `${kafka.clientId}-outbox`, brokers: kafka.brokers, logCreator: kafkaLogging.logCreator, retry: { retries: 2 } }).producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
      }),
    );
  }

  /** One send, in row order: the idempotent producer with one request in flight keeps each key's order. A failure drops the producer. */
  async publish(rows: readonly PendingOutboxRow[]): Promise<void> {
    try {
      await (await this.producer.get()).send({ topic: this.config.topic, acks: -1, messages: rows.map(toMessage) });
    } catch (error) {
      await this.producer.close();
      throw error;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer.close();
  }
}

export function toMessage(row: PendingOutboxRow): Message {
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
  if (row.traceparent !== null) headers.traceparent = row.traceparent;
  return { key: row.order_id, value: JSON.stringify(value), headers };
}
