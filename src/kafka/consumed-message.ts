import { KafkaHeaders } from './kafka-headers';
import { Offset } from './kafka-admin';

/** A message as read from a partition. */
export interface ConsumedMessage {
  offset: Offset;
  /** Milliseconds since the epoch, as a decimal string. */
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: KafkaHeaders;
}
