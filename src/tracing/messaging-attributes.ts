import { Attributes } from '@opentelemetry/api';

/** Where a consumed message came from, as the transport knows it before parsing. */
export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  headers?: Record<string, unknown>;
}

/** OpenTelemetry messaging conventions (messaging.*) for Kafka; never the key or the value. */
export function consumeAttributes(topic: string, groupId: string, messageCount: number): Attributes {
  return {
    'messaging.system': 'kafka',
    'messaging.operation.type': 'process',
    'messaging.operation.name': 'process',
    'messaging.destination.name': topic,
    'messaging.consumer.group.name': groupId,
    ...(messageCount > 1 && { 'messaging.batch.message_count': messageCount }),
  };
}

export function messageAttributes(message: Pick<ConsumedMessage, 'partition' | 'offset'>): Attributes {
  return { 'messaging.destination.partition.id': String(message.partition), 'messaging.kafka.offset': Number(message.offset) };
}

export function sendAttributes(topic: string, messageCount: number): Attributes {
  return {
    'messaging.system': 'kafka',
    'messaging.operation.type': 'send',
    'messaging.operation.name': 'send',
    'messaging.destination.name': topic,
    ...(messageCount > 1 && { 'messaging.batch.message_count': messageCount }),
  };
}
