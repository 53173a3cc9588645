import { createHash } from 'node:crypto';
import { MessageHeaders } from '../kafka/kafka-headers';
import { recordBytes } from '../kafka/record-size';

export interface DeadLetterMessage {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers: MessageHeaders;
}

/** A dead letter goes alone: its record batch's header and the record's own framing, generously. */
const FRAMING = { perRecord: 512, perHeader: 8 };
const MAX_CUT_KEY_BYTES = 1024;

/**
 * A dead letter the broker will take: the original bytes when they fit in maxBytes; otherwise the value is
 * cut, and when key and headers alone are too large the original headers are dropped and the key cut too, with headers that say what was cut and the SHA-256
 * and size of the original, so an operator can still find the source message by its coordinates.
 */
export function fitDeadLetter(letter: DeadLetterMessage, ownHeaders: Record<string, string>, maxBytes: number): DeadLetterMessage {
  const whole = { ...letter, headers: { ...letter.headers, ...ownHeaders } };
  if (sizeOf(whole) <= maxBytes) return whole;
  const valueCut = { key: letter.key, value: null, headers: { ...whole.headers, ...truncationHeaders('value', letter.value) } };
  const room = maxBytes - sizeOf(valueCut);
  if (room >= 0) return { ...valueCut, value: cut(letter.value, room) };
  const headers = { ...ownHeaders, ...truncationHeaders('value', letter.value), ...truncationHeaders('key', letter.key), 'x-dlt-headers-dropped': 'true' };
  const key = cut(letter.key, Math.min(MAX_CUT_KEY_BYTES, (maxBytes - sizeOf({ key: null, value: null, headers })) / 2));
  return { key, value: cut(letter.value, maxBytes - sizeOf({ key, value: null, headers })), headers };
}

function cut(bytes: Buffer | string | null, room: number): Buffer | null {
  if (bytes === null) return null;
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
  return buffer.subarray(0, Math.max(0, Math.floor(room)));
}

function truncationHeaders(part: 'key' | 'value', original: Buffer | string | null): Record<string, string> {
  if (original === null) return {};
  const buffer = Buffer.isBuffer(original) ? original : Buffer.from(original);
  return {
    [`x-dlt-truncated-${part}`]: 'true',
    [`x-dlt-original-${part}-bytes`]: String(buffer.length),
    [`x-dlt-original-${part}-sha256`]: createHash('sha256').update(buffer).digest('hex'),
  };
}

function sizeOf(letter: DeadLetterMessage): number {
  return recordBytes(letter, FRAMING);
}
