import { KafkaHeaders } from './kafka-headers';

/** An offset as Kafka gives it: a decimal string (a 64-bit number). */
export type Offset = string;

/** Where a message sits in Kafka. */
export interface MessageCoordinates {
  topic: string;
  partition: number;
  offset: Offset;
}

/** A message as read from a partition. */
export interface ConsumedMessage {
  offset: Offset;
  /** Milliseconds since the epoch, as a decimal string. */
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: KafkaHeaders;
}
