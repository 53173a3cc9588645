// What the suite calls in the built service, which it imports from dist/ as it ships: declared here, since Node runs
// this folder as it is, and held to the sources by test/support/chaos-built-service.ts (`npm run typecheck`).
import type { Admin, ITopicConfig, Producer } from 'kafkajs';
import type { SendCodec } from '../support/standalone/send-codecs.ts';

type HeaderValue = Buffer | string | null;

/** A record as the Kafka adapter's producer takes it (compression passes through to kafkajs). */
export interface ChaosRecord {
  topic: string;
  acks?: number;
  compression?: SendCodec;
  messages: { key?: Buffer | string | null; value: Buffer | string | null; headers?: Record<string, HeaderValue | HeaderValue[]>; partition?: number }[];
}

/** The Kafka adapter's producer interface (src/kafka/kafka-producer.ts). */
export interface ChaosProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(record: ChaosRecord): Promise<{ topicName: string; partition: number; errorCode: number }[]>;
}

/** dist/src/kafka/kafka-producer.js */
export interface BuiltKafkaProducer {
  KafkajsProducer: new (producer: Producer) => ChaosProducer;
}

/** dist/src/kafka/complete-send.js */
export interface BuiltCompleteSend {
  sendCompletely: (producer: ChaosProducer, record: ChaosRecord, partitionCount: number) => Promise<unknown>;
}

/** dist/src/kafka/kafka-topics.js */
export interface BuiltKafkaTopics {
  createTopicsWithLeaders: (admin: Admin, topics: ITopicConfig[]) => Promise<void>;
}

/** dist/src/kafka/kafka-adapter.js */
export interface BuiltKafkaAdapter {
  installKafkaAdapter: () => void;
}
