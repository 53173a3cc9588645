import { Producer } from 'kafkajs';
import { MessageHeaders, producerHeaders } from './kafka-headers';

export interface OutgoingMessage {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: MessageHeaders;
  partition?: number;
}

export interface OutgoingRecord {
  topic: string;
  acks?: number;
  /** How long the broker waits for the in-sync replicas of an acks=-1 send. */
  timeout?: number;
  messages: OutgoingMessage[];
}

/** The broker's answer for one partition of a send. */
export interface WrittenPartition {
  topicName: string;
  partition: number;
  errorCode: number;
}

export interface KafkaProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(record: OutgoingRecord): Promise<WrittenPartition[]>;
}

/** A kafkajs producer behind the project's interface; headers travel exactly (repeated keys, null values). */
export class KafkajsProducer implements KafkaProducer {
  constructor(private readonly producer: Producer) {}

  connect(): Promise<void> {
    return this.producer.connect();
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }

  send(record: OutgoingRecord): Promise<WrittenPartition[]> {
    const messages = record.messages.map(({ headers, ...message }) => (headers === undefined ? message : { ...message, headers: producerHeaders(headers) }));
    return this.producer.send({ ...record, messages });
  }
}
