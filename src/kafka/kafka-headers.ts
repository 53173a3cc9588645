import { IHeaders } from 'kafkajs';

export type HeaderValue = Buffer | string | null;
/** Headers as Kafka carried them: a repeated key keeps every value in order (an array), a null value stays null. */
export type MessageHeaders = Record<string, HeaderValue | HeaderValue[]>;
/** The headers of a consumed message, whichever client decoded them. */
export type KafkaHeaders = Record<string, HeaderValue | HeaderValue[] | undefined>;

/** A header's first value as text, or null when it is absent or null. */
export function headerText(headers: KafkaHeaders | undefined, name: string): string | null {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === null ? null : first.toString();
}

/** The headers kafkajs decoded, exactly: repeated keys as arrays in order, null and binary values as they are. */
export function messageHeaders(headers: Record<string, unknown> = {}): MessageHeaders {
  return Object.fromEntries(
    Object.entries(headers).filter(([, value]) => isHeaderValue(value) || (Array.isArray(value) && value.every(isHeaderValue))),
  ) as MessageHeaders;
}

function isHeaderValue(value: unknown): value is HeaderValue {
  return value === null || Buffer.isBuffer(value) || typeof value === 'string';
}

/**
 * Headers for a kafkajs producer: it writes an array as the key repeated, in order. It cannot size a null
 * value (Buffer.byteLength(null) throws), so a null travels as NULL_HEADER_VALUE, which the encoder writes as null.
 */
export function producerHeaders(headers: MessageHeaders): IHeaders {
  const encodable = (value: HeaderValue) => value ?? NULL_HEADER_VALUE;
  return Object.fromEntries(Object.entries(headers).map(([key, value]) => [key, Array.isArray(value) ? value.map(encodable) : encodable(value)]));
}

/** Empty, so kafkajs sizes it as one varint byte, which is what the length -1 of a null value takes. */
const NULL_HEADER_VALUE = Buffer.alloc(0);

interface KafkajsEncoder {
  prototype: { writeVarIntBytes: (this: unknown, value: unknown) => unknown; writesNullHeaders?: true };
}

function writeNullHeaderValues(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const encoder = (require('kafkajs/src/protocol/encoder') as KafkajsEncoder).prototype;
  if (encoder.writesNullHeaders) return;
  const write = encoder.writeVarIntBytes;
  encoder.writeVarIntBytes = function (this: unknown, value: unknown) {
    return write.call(this, value === NULL_HEADER_VALUE ? null : value);
  };
  encoder.writesNullHeaders = true;
}

writeNullHeaderValues();
