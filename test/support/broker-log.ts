// The record batches of a partition as the shared broker stores them on disk (it runs on this machine): what codec
// a producer used, and a way to corrupt one batch as a failing disk or a broken producer would.
import { openSync, readFileSync, readdirSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';

export interface StoredBatch {
  baseOffset: number;
  lastOffset: number;
  /** attributes & 0x07: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd. */
  codec: number;
  records: number;
  /** Where the batch starts in its segment file. */
  file: string;
  position: number;
  length: number;
}

export const CODEC_IDS = { gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

/** Every batch in the partition's segment files, in offset order. */
export function storedBatches(logDir: string, topic: string, partition: number): StoredBatch[] {
  const dir = join(logDir, `${topic}-${partition}`);
  const segments = readdirSync(dir)
    .filter((name) => name.endsWith('.log'))
    .sort();
  return segments.flatMap((name) => batchesOf(join(dir, name)));
}

function batchesOf(file: string): StoredBatch[] {
  const bytes = readFileSync(file);
  const batches: StoredBatch[] = [];
  for (let position = 0; position + 61 <= bytes.length;) {
    const length = 12 + bytes.readInt32BE(position + 8);
    const baseOffset = Number(bytes.readBigInt64BE(position));
    batches.push({
      baseOffset,
      lastOffset: baseOffset + bytes.readInt32BE(position + 23),
      codec: bytes.readInt16BE(position + 21) & 0x07,
      records: bytes.readInt32BE(position + 57),
      file,
      position,
      length,
    });
    position += length;
  }
  return batches;
}

/** Flips bytes in the middle of the batch's compressed records, in place: its CRC no longer matches. */
export function corruptOnDisk(batch: StoredBatch): void {
  const recordsAt = batch.position + 61;
  const middle = recordsAt + Math.floor((batch.length - 61) / 2);
  const bytes = readFileSync(batch.file).subarray(middle, middle + 4);
  const flipped = Buffer.from(bytes.map((b) => b ^ 0xff));
  const fd = openSync(batch.file, 'r+');
  try {
    writeSync(fd, flipped, 0, flipped.length, middle);
  } finally {
    closeSync(fd);
  }
}
