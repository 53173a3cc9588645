import { HeaderValue, MessageHeaders } from './kafka-headers';

export interface SizedRecord {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: MessageHeaders;
}

/** How many bytes a caller counts for Kafka's framing, beyond the record's own bytes. */
export interface RecordFraming {
  perRecord: number;
  perHeader: number;
}

/** A record's key, value and header bytes (each value of a repeated header counted), plus the caller's framing. */
export function recordBytes(record: SizedRecord, framing: RecordFraming): number {
  const length = (bytes: HeaderValue | undefined) => (bytes == null ? 0 : Buffer.byteLength(bytes));
  let bytes = framing.perRecord + length(record.key) + length(record.value);
  for (const [name, value] of Object.entries(record.headers ?? {})) {
    for (const one of Array.isArray(value) ? value : [value]) bytes += framing.perHeader + Buffer.byteLength(name) + length(one);
  }
  return bytes;
}
