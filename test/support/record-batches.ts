// Record batches and fetch responses as a broker sends them, for the specs of the Kafka adapter (src/kafka).
import { CompressionTypes } from 'kafkajs';
import Long from 'kafkajs/src/utils/long';
import { RecordBatch } from 'kafkajs/src/protocol/recordBatch/v0';
import Record from 'kafkajs/src/protocol/recordBatch/record/v0';
import crc32C from 'kafkajs/src/protocol/recordBatch/crc32C';

export async function recordBatch(firstOffset: number, values: string[], compression = CompressionTypes.None): Promise<Buffer> {
  const records = values.map((value, offsetDelta) => Record({ offsetDelta, key: Buffer.from(`k${offsetDelta}`), value: Buffer.from(value) }));
  const batch = await RecordBatch({ compression, firstOffset: Long.fromNumber(firstOffset), lastOffsetDelta: values.length - 1, records });
  return batch.buffer;
}

/** The batch with its CRC-32C written again, as a producer that compressed garbage would have. */
export function withValidCrc(batch: Buffer): Buffer {
  const copy = Buffer.from(batch);
  copy.writeUInt32BE(crc32C(copy.subarray(21)), 17);
  return copy;
}

export function withAttributes(batch: Buffer, attributes: number): Buffer {
  const copy = Buffer.from(batch);
  copy.writeInt16BE(attributes, 21);
  return withValidCrc(copy);
}

/** The batch's header around other compressed records (e.g. a compression bomb), its length and CRC-32C written again. */
export function withCompressedRecords(batch: Buffer, compressed: Buffer): Buffer {
  const copy = Buffer.concat([batch.subarray(0, RECORD_BATCH_HEADER_BYTES), compressed]);
  copy.writeInt32BE(copy.length - 12, 8);
  return withValidCrc(copy);
}

const RECORD_BATCH_HEADER_BYTES = 61;

export function flipLastByte(batch: Buffer): Buffer {
  const copy = Buffer.from(batch);
  copy[copy.length - 1] ^= 0xff;
  return copy;
}

/** A fetch response of `version` (4 to 11): one topic, each partition with the bytes of its record set. */
export function fetchResponse(version: number, topic: string, partitions: { partition: number; records: Buffer }[]): Buffer {
  const int16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
  const int32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    return b;
  };
  const int64 = (n: number) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt(n));
    return b;
  };
  const head = version >= 7 ? [int32(0), int16(0), int32(0)] : [int32(0)];
  const parts = partitions.flatMap(({ partition, records }) => [
    int32(partition),
    int16(0),
    int64(1000),
    int64(1000),
    ...(version >= 5 ? [int64(0)] : []),
    int32(0),
    ...(version >= 11 ? [int32(-1)] : []),
    int32(records.length),
    records,
  ]);
  return Buffer.concat([...head, int32(1), int16(Buffer.byteLength(topic)), Buffer.from(topic), int32(partitions.length), ...parts]);
}

export const fetchResponseV11 = (topic: string, partitions: { partition: number; records: Buffer }[]) => fetchResponse(11, topic, partitions);
