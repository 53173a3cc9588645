import { randomBytes, randomUUID } from 'node:crypto';
import { Admin, ConfigResourceTypes, IHeaders, Kafka, KafkaConfig, logLevel, Producer } from 'kafkajs';
import { createTopicsWithLeaders } from '../../src/kafka/kafka-topics';
import { installKafkaAdapter } from '../../src/kafka/kafka-adapter';

export const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

export function uniqueName(prefix: string): string {
  return `${prefix}.${randomBytes(4).toString('hex')}`;
}

export interface OutgoingMessage {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers?: IHeaders;
  partition?: number;
}

export interface DeadLetter {
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /** As kafkajs decoded the record: a repeated key as an array in order, a null value as null. */
  rawHeaders: IHeaders;
}

/** A real broker connection for tests: topics, a producer, and a reader for what landed on a topic. */
export class TestKafka {
  private readonly kafka: Kafka;
  private readonly admin: Admin;
  private readonly producer: Producer;

  /** client: another broker and how to reach it (TLS, SASL); the shared test broker by default. */
  constructor(client: Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl' | 'socketFactory'> = { brokers: BROKERS }) {
    installKafkaAdapter();
    this.kafka = new Kafka({ clientId: uniqueName('test'), ...client, logLevel: logLevel.NOTHING });
    this.admin = this.kafka.admin();
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  }

  async connect(): Promise<this> {
    await Promise.all([this.admin.connect(), this.producer.connect()]);
    return this;
  }

  async createTopic(topic: string, numPartitions = 1, config: Record<string, string> = {}): Promise<void> {
    const configEntries = Object.entries(config).map(([name, value]) => ({ name, value }));
    await createTopicsWithLeaders(this.admin, [{ topic, numPartitions, configEntries }]);
  }

  /** The leader of every partition of the topics, as the broker's metadata says now (-1: none). */
  async partitionLeaders(topics: string[]): Promise<number[]> {
    const metadata = await this.admin.fetchTopicMetadata({ topics });
    return metadata.topics.flatMap(({ partitions }) => partitions.map(({ leader }) => leader));
  }

  /** Where the (single, local) test broker keeps its partitions' segment files. */
  async brokerLogDir(): Promise<string> {
    const { brokers } = await this.admin.describeCluster();
    const { resources } = await this.admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.BROKER, name: String(brokers[0].nodeId), configNames: ['log.dirs', 'log.dir'] }],
      includeSynonyms: false,
    });
    const entries = resources[0].configEntries;
    const dirs = entries.find((e) => e.configName === 'log.dirs')?.configValue ?? entries.find((e) => e.configName === 'log.dir')?.configValue;
    if (!dirs) throw new Error('the broker names no log.dirs');
    return dirs.split(',')[0];
  }

  /** Moves a partition's log start forward, as retention would. */
  async deleteRecordsBefore(topic: string, partition: number, offset: string): Promise<void> {
    // kafkajs looks the partition leader up in its broker pool, which only metadata of the topic fills.
    await this.admin.fetchTopicMetadata({ topics: [topic] });
    await this.admin.deleteTopicRecords({ topic, partitions: [{ partition, offset }] });
  }

  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    await this.producer.send({ topic, acks: -1, messages });
  }

  /**
   * Each transaction through a transactional producer, committed or aborted as listed: Kafka writes a commit or
   * abort marker (a control record) after its messages, and a read_committed consumer never sees aborted ones.
   */
  async publishTransactions(topic: string, transactions: { messages: OutgoingMessage[]; commit: boolean }[]): Promise<void> {
    const producer = this.kafka.producer({ transactionalId: uniqueName('test-tx'), idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (const { messages, commit } of transactions) {
        const transaction = await producer.transaction();
        await transaction.send({ topic, acks: -1, messages });
        await (commit ? transaction.commit() : transaction.abort());
      }
    } finally {
      await producer.disconnect();
    }
  }

  /** Committed offsets of a group, summed over partitions: what the consumer has acknowledged. */
  async committedOffsets(groupId: string, topic: string): Promise<number> {
    const [result] = await this.admin.fetchOffsets({ groupId, topics: [topic] });
    return result.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  }

  async endOffsets(topic: string): Promise<number> {
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high), 0);
  }

  /** Another member joins the group on `topic` and leaves once it has joined: the group rebalances twice. */
  async joinGroupBriefly(groupId: string, topic: string, timeoutMs = 30_000): Promise<void> {
    const member = this.kafka.consumer({ groupId });
    let joined = false;
    member.on(member.events.GROUP_JOIN, () => (joined = true));
    try {
      await member.connect();
      await member.subscribe({ topic });
      await member.run({ eachMessage: () => Promise.resolve() });
      await waitFor(() => joined, timeoutMs, `a second member to join ${groupId}`);
    } finally {
      await member.disconnect();
    }
  }

  /** Reads every message on a topic from the beginning, waiting until at least `expected` arrived. */
  async readAll(topic: string, expected: number, timeoutMs = 30_000): Promise<DeadLetter[]> {
    const consumer = this.kafka.consumer({ groupId: uniqueName('reader') });
    const received: DeadLetter[] = [];
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: ({ message }) => {
          const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
          received.push({ key: message.key?.toString() ?? null, value: message.value, headers, rawHeaders: message.headers ?? {} });
          return Promise.resolve();
        },
      });
      await waitFor(() => received.length >= expected, timeoutMs, `${expected} messages on ${topic}`);
      return received;
    } finally {
      await consumer.disconnect();
    }
  }

  async disconnect(): Promise<void> {
    await Promise.all([this.admin.disconnect(), this.producer.disconnect()]);
  }
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface OrderCompletedFields {
  event_id: string;
  order_id: string;
  tenant_id: string;
  total: string | number;
  currency?: string;
  occurred_at?: string;
  [extra: string]: unknown;
}

export function orderCompleted(overrides: Partial<OrderCompletedFields> = {}): OrderCompletedFields {
  return {
    event_id: randomUUID(),
    order_id: `order-${randomBytes(6).toString('hex')}`,
    tenant_id: 'acme',
    total: '149.90',
    currency: 'USD',
    ...overrides,
  };
}

export function asMessage(event: OrderCompletedFields): OutgoingMessage {
  return { key: event.order_id, value: JSON.stringify(event) };
}
