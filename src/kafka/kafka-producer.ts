import { Producer } from 'kafkajs';
import { CompressionCodec } from './compression-codec-names';
import { compressionType } from './compression-codecs';
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
  /** How the record batch is compressed (none when not given). */
  compression?: CompressionCodec;
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

  send({ compression, ...record }: OutgoingRecord): Promise<WrittenPartition[]> {
    const messages = record.messages.map(({ headers, ...message }) => (headers === undefined ? message : { ...message, headers: producerHeaders(headers) }));
    return this.producer.send({ ...record, ...(compression && { compression: compressionType(compression) }), messages });
  }
}

/** The broker refused a send as larger than the topic allows (kafkajs wraps the protocol error in retries). */
export function isMessageTooLarge(error: unknown): boolean {
  for (let cause = error as { type?: unknown; cause?: unknown } | undefined; cause; cause = cause.cause as typeof cause) {
    if (cause.type === 'MESSAGE_TOO_LARGE' || cause.type === 'RECORD_LIST_TOO_LARGE') return true;
  }
  return false;
}
