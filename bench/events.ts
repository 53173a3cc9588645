import { randomBytes, randomUUID } from 'node:crypto';
import { Kafka, KafkaMessage, logLevel, Message, Producer } from 'kafkajs';
import { BROKERS, uniqueName } from '../test/support/kafka';
import { sleep } from './support';

export interface BenchEvent {
  event_id: string;
  order_id: string;
  tenant_id: string;
  total: string;
  currency: string;
  occurred_at: string;
}

export interface Workload {
  messages: Message[];
  distinctEvents: BenchEvent[];
}

/**
 * `count` messages, of which `duplicateShare` are redeliveries of an earlier event (same key, same
 * bytes), as Kafka's at-least-once delivery produces them; the rest are distinct events.
 */
export function workload(count: number, duplicateShare: number): Workload {
  const duplicates = Math.floor(count * duplicateShare);
  const distinctEvents = Array.from({ length: count - duplicates }, (_, i) => benchEvent(i));
  const messages = distinctEvents.map(toMessage);
  for (let d = 0; d < duplicates; d++) {
    const at = Math.floor(((d + 1) * messages.length) / (duplicates + 1));
    messages.splice(at + d, 0, toMessage(distinctEvents[Math.floor(at / 2)]));
  }
  return { messages, distinctEvents };
}

export function benchEvent(i: number): BenchEvent {
  return {
    event_id: randomUUID(),
    order_id: `order-${i}-${randomBytes(4).toString('hex')}`,
    tenant_id: `tenant-${i % 50}`,
    total: `${(i % 100000) + 1}.${String(i % 100).padStart(2, '0')}`,
    currency: 'USD',
    occurred_at: new Date().toISOString(),
  };
}

export function toMessage(event: BenchEvent): Message {
  return { key: event.order_id, value: JSON.stringify(event) };
}

export class BenchKafka {
  private readonly kafka = new Kafka({ clientId: uniqueName('bench'), brokers: BROKERS, logLevel: logLevel.NOTHING });
  private readonly admin = this.kafka.admin();
  readonly producer: Producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });

  async connect(): Promise<this> {
    await Promise.all([this.admin.connect(), this.producer.connect()]);
    return this;
  }

  async createTopic(topic: string, numPartitions: number): Promise<void> {
    await this.admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
  }

  async deleteTopics(topics: string[]): Promise<void> {
    await this.admin.deleteTopics({ topics }).catch(() => undefined);
  }

  /** Publishes everything before any consumer starts, so each variant measures consumption only. */
  async publishAll(topic: string, messages: Message[], chunk = 2000): Promise<void> {
    for (let i = 0; i < messages.length; i += chunk) {
      await this.producer.send({ topic, acks: -1, messages: messages.slice(i, i + chunk) });
    }
  }

  /** Publishes `count` distinct events, made a chunk at a time so that millions never sit in memory at once. */
  async publishDistinct(topic: string, count: number, chunk = 2000): Promise<void> {
    for (let i = 0; i < count; i += chunk) {
      const messages = Array.from({ length: Math.min(chunk, count - i) }, (_, j) => toMessage(benchEvent(i + j)));
      await this.producer.send({ topic, acks: -1, messages });
    }
  }

  /**
   * Hands the topic's records, from its beginning to its end as of the call, to `each` one batch at a time (the next
   * is fetched once `each` is done), and returns how many were read; stops early when nothing arrives for `idleMs`.
   */
  async readToEnd(topic: string, each: (records: KafkaMessage[]) => Promise<void>, idleMs = 60_000): Promise<number> {
    const end = (await this.admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
    const consumer = this.kafka.consumer({ groupId: uniqueName('bench-read') });
    let read = 0;
    let lastBatch = Date.now();
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          await each(batch.messages);
          read += batch.messages.length;
          lastBatch = Date.now();
        },
      });
      while (read < end && Date.now() - lastBatch < idleMs) await sleep(100);
    } finally {
      await consumer.disconnect();
    }
    return read;
  }

  /** When each message of the topic was first sent (its record timestamp), by the event_id of its JSON value. */
  async firstSendTimes(topic: string, atLeast: number): Promise<Map<string, number>> {
    const consumer = this.kafka.consumer({ groupId: uniqueName('bench-announcements') });
    const sent = new Map<string, number>();
    let seen = 0;
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      const done = new Promise<void>((resolve) => {
        void consumer.run({
          eachBatch: async ({ batch }) => {
            for (const message of batch.messages) {
              const eventId = (JSON.parse(String(message.value)) as { event_id: string }).event_id;
              if (!sent.has(eventId)) sent.set(eventId, Number(message.timestamp));
              if (++seen >= atLeast && sent.size >= atLeast) resolve();
            }
            await Promise.resolve();
          },
        });
      });
      await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 60_000))]);
    } finally {
      await consumer.disconnect();
    }
    return sent;
  }

  async disconnect(): Promise<void> {
    await Promise.all([this.admin.disconnect(), this.producer.disconnect()]);
  }
}
