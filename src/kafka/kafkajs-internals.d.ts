// The few kafkajs 2.2.4 internals the fetch decoding replaces or reuses (pinned version; see fetch-decoding.ts).
declare module 'kafkajs/src/protocol/decoder' {
  class Decoder {
    constructor(buffer: Buffer);
    readInt16(): number;
    readInt32(): number;
    readInt64(): { toString(): string };
    readString(): string;
    readBytes(length: number): Buffer;
    canReadBytes(length: number): boolean;
    readArray<T>(decode: (decoder: Decoder) => T): T[];
    readArrayAsync<T>(decode: (decoder: Decoder) => Promise<T>): Promise<T[]>;
  }
  export = Decoder;
}

declare module 'kafkajs/src/protocol/recordBatch/v0/decoder' {
  import Decoder from 'kafkajs/src/protocol/decoder';
  function decodeRecordBatch(decoder: Decoder): Promise<{ records: unknown[] }>;
  export = decodeRecordBatch;
}

declare module 'kafkajs/src/protocol/messageSet/decoder' {
  import Decoder from 'kafkajs/src/protocol/decoder';
  function decodeMessageSet(decoder: Decoder, size: number): Promise<unknown[]>;
  export = decodeMessageSet;
}

declare module 'kafkajs/src/protocol/recordBatch/crc32C' {
  function crc32C(buffer: Buffer): number;
  export = crc32C;
}

declare module 'kafkajs/src/protocol/requests/fetch/*/response' {
  const response: { decode: (rawData: Buffer) => Promise<unknown>; parse: unknown };
  export = response;
}

// Used by the specs to write record batches as kafkajs' producer does.
declare module 'kafkajs/src/protocol/recordBatch/v0' {
  export function RecordBatch(batch: {
    compression?: number;
    firstOffset?: unknown;
    lastOffsetDelta?: number;
    records: unknown[];
  }): Promise<{ buffer: Buffer }>;
}

declare module 'kafkajs/src/protocol/recordBatch/record/v0' {
  function Record(record: { offsetDelta?: number; key: Buffer | null; value: Buffer | null; headers?: Record<string, Buffer> }): unknown;
  export = Record;
}

declare module 'kafkajs/src/utils/long' {
  const Long: { fromNumber(value: number): unknown };
  export = Long;
}

declare module 'kafkajs/src/protocol/error' {
  export const errorCodes: { type: string; code: number; retriable: boolean; message: string }[];
}
