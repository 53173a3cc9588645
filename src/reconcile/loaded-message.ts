import { PoisonMessageError } from '../common/errors';
import { ConsumedMessage } from '../kafka/kafka-message';
import { headerText, KafkaHeaders } from '../kafka/kafka-headers';
import { OrderEventParser } from '../order-events/order-event.parser';

/** One message of the input topic as reconcile stores it: the service parser's verdict, never a re-implementation. */
export interface LoadedMessage {
  partition: number;
  offset: number;
  timestamp: number;
  inRange: boolean;
  pending: boolean;
  eventId: string | null;
  tenantId: string | null;
  orderId: string | null;
  amount: string | null;
  currency: string | null;
  fingerprint: string | null;
  poisonReason: string | null;
}

export interface DeadLetterSource {
  partition: number;
  offset: number;
  reason: string;
}

/** PostgreSQL text cannot hold NUL: such an event can only have been refused by the database (or dead-lettered). */
const UNSTORABLE_TEXT = 'unstorable_text';

export class MessageLoader {
  constructor(private readonly parser: OrderEventParser) {}

  load(message: ConsumedMessage, partition: number, position: Pick<LoadedMessage, 'inRange' | 'pending'>): LoadedMessage {
    const base = { partition, offset: Number(message.offset), timestamp: Number(message.timestamp), ...position };
    const none = { eventId: null, tenantId: null, orderId: null, amount: null, currency: null, fingerprint: null };
    try {
      const event = this.parser.parse(message.value);
      if ([event.tenantId, event.orderId].some((text) => text.includes('\u0000'))) return { ...base, ...none, poisonReason: UNSTORABLE_TEXT };
      const { eventId, tenantId, orderId, amount, currency, fingerprint } = event;
      return { ...base, eventId, tenantId, orderId, amount, currency, fingerprint, poisonReason: null };
    } catch (error) {
      if (error instanceof PoisonMessageError) return { ...base, ...none, poisonReason: error.reason };
      throw error;
    }
  }
}

/** The source coordinates the dead-letter publisher writes, or null for a record of another topic or without them. */
export function deadLetterSourceOf(headers: KafkaHeaders | undefined, sourceTopic: string): DeadLetterSource | null {
  const partition = integerHeader(headers, 'x-dlt-source-partition');
  const offset = integerHeader(headers, 'x-dlt-source-offset');
  if (headerText(headers, 'x-dlt-source-topic') !== sourceTopic || partition === null || offset === null) return null;
  return { partition, offset, reason: headerText(headers, 'x-dlt-reason') ?? 'unknown' };
}

function integerHeader(headers: KafkaHeaders | undefined, name: string): number | null {
  const text = headerText(headers, name);
  return text !== null && /^\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : null;
}
