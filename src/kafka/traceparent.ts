import { headerText, KafkaHeaders } from './kafka-headers';

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/**
 * The W3C trace-context traceparent header of a message when it is well formed (version 00 layout, not the
 * forbidden version ff, no all-zero ids); anything else is dropped rather than passed on to other services.
 */
export function traceparentOf(headers: KafkaHeaders | Record<string, unknown> | undefined): string | undefined {
  const raw = headers?.traceparent;
  if (raw === undefined || raw === null) return undefined;
  const text = headerText(headers as KafkaHeaders, 'traceparent')
    ?.trim()
    .toLowerCase();
  const match = text === undefined ? null : TRACEPARENT.exec(text);
  if (!match || match[1] === 'ff' || /^0+$/.test(match[2]) || /^0+$/.test(match[3])) return undefined;
  return text;
}
