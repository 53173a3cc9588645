import { promisify } from 'node:util';
import { gzip, unzip, zstdCompress, zstdDecompress } from 'node:zlib';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { compressFrame, decompressFrame } from 'lz4-napi';
import { compress as snappyCompress, uncompress as snappyUncompress } from 'snappy';
import { CompressionCodec } from './compression-codec-names';
import { readLz4FrameBound } from './lz4-frame-bound';
import { BillingError } from '../common/errors';

/**
 * The most one record batch may expand to. Producers bound what they put in one batch before compressing it (Java's
 * batch.size 16 KiB, librdkafka's 1 MB, both under max.request.size) and the broker takes ~1 MiB compressed; 64 MiB
 * leaves room for any real batch, while a batch of zeros that would expand to gigabytes (a compression bomb) is
 * refused within the service's 96 MiB heap and 512 MiB pod: snappy and LZ4 from their block headers, before
 * decompressing; gzip and zstd by zlib, which stops once its output reaches the limit.
 */
export const MAX_DECOMPRESSED_BATCH_BYTES = 64 * 1024 * 1024;

/** A batch that would decompress past MAX_DECOMPRESSED_BATCH_BYTES: refused as undecodable, and its partition parked. */
export class DecompressedBatchTooLarge extends BillingError {
  override readonly name = 'KafkaDecompressedBatchTooLarge';
  readonly code = 'kafka.batch_too_large';

  constructor(codec: string, size: string) {
    super(`${codec} record batch decompresses to ${size}, over the limit of ${MAX_DECOMPRESSED_BATCH_BYTES} bytes per batch`);
  }
}

/** What kafkajs calls with a batch's records: the encoder's buffer to compress, the fetched bytes to decompress. */
export interface KafkaCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

export function compressionType(codec: CompressionCodec): CompressionTypes {
  const types: Record<CompressionCodec, CompressionTypes> = {
    none: CompressionTypes.None,
    gzip: CompressionTypes.GZIP,
    snappy: CompressionTypes.Snappy,
    lz4: CompressionTypes.LZ4,
    zstd: CompressionTypes.ZSTD,
  };
  return types[codec];
}

// Java's producer frames snappy the way xerial's SnappyOutputStream does; librdkafka writes one raw block.
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;
const XERIAL_BLOCK_BYTES = 32 * 1024;

export const snappyCodec: KafkaCodec = {
  async compress({ buffer }) {
    const header = Buffer.alloc(XERIAL_HEADER_BYTES);
    XERIAL_MAGIC.copy(header);
    header.writeInt32BE(1, 8);
    header.writeInt32BE(1, 12);
    const chunks: Buffer[] = [header];
    for (let start = 0; start < buffer.length; start += XERIAL_BLOCK_BYTES) {
      const block = await snappyCompress(buffer.subarray(start, start + XERIAL_BLOCK_BYTES));
      const length = Buffer.alloc(4);
      length.writeInt32BE(block.length);
      chunks.push(length, block);
    }
    return Buffer.concat(chunks);
  },
  async decompress(buffer) {
    const blocks = isXerialFramed(buffer) ? xerialBlocks(buffer) : [buffer];
    // Each block states its uncompressed length up front, and snappy allocates that much: check them all first.
    const total = blocks.reduce((sum, block) => sum + snappyUncompressedLength(block), 0);
    if (total > MAX_DECOMPRESSED_BATCH_BYTES) throw new DecompressedBatchTooLarge('snappy', `${total} bytes`);
    const uncompressed: Buffer[] = [];
    for (const block of blocks) uncompressed.push(await uncompressSnappyBlock(block));
    return uncompressed.length === 1 ? uncompressed[0] : Buffer.concat(uncompressed);
  },
};

function xerialBlocks(buffer: Buffer): Buffer[] {
  const blocks: Buffer[] = [];
  for (let position = XERIAL_HEADER_BYTES; position < buffer.length;) {
    if (position + 4 > buffer.length) throw new Error('xerial snappy frame ends inside a block length');
    const end = position + 4 + buffer.readInt32BE(position);
    if (end > buffer.length || end < position + 4) throw new Error('xerial snappy block runs past the end of the batch');
    blocks.push(buffer.subarray(position + 4, end));
    position = end;
  }
  return blocks;
}

/** A raw snappy block opens with its uncompressed length as a little-endian base-128 varint (at most 32 bits). */
function snappyUncompressedLength(block: Buffer): number {
  let length = 0;
  for (let i = 0; i < Math.min(block.length, 5); i++) {
    length += (block[i] & 0x7f) * 2 ** (7 * i);
    if (block[i] < 0x80) return length;
  }
  throw new Error('snappy block does not start with a valid uncompressed length');
}

function isXerialFramed(buffer: Buffer): boolean {
  return buffer.length >= XERIAL_HEADER_BYTES && buffer.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC);
}

async function uncompressSnappyBlock(block: Buffer): Promise<Buffer> {
  return (await snappyUncompress(block, { asBuffer: true })) as Buffer;
}

/** Kafka's LZ4 is the standard LZ4 frame format (KIP-57), which Java, librdkafka and lz4_flex all write. */
export const lz4Codec: KafkaCodec = {
  compress: ({ buffer }) => compressFrame(buffer),
  async decompress(buffer) {
    // lz4-napi has no output limit; the frame's blocks bound what it can expand to (each at most the block size).
    const bound = readLz4FrameBound(buffer);
    if (bound > MAX_DECOMPRESSED_BATCH_BYTES) throw new DecompressedBatchTooLarge('lz4', `up to ${bound} bytes`);
    return decompressFrame(buffer);
  },
};

const zstdCompressAsync = promisify(zstdCompress);
const zstdDecompressAsync = promisify(zstdDecompress);
const gzipAsync = promisify(gzip);
const unzipAsync = promisify(unzip);

export const zstdCodec: KafkaCodec = {
  compress: ({ buffer }) => zstdCompressAsync(buffer),
  decompress: (buffer) => zlibBounded('zstd', zstdDecompressAsync(buffer, { maxOutputLength: MAX_DECOMPRESSED_BATCH_BYTES })),
};

/** kafkajs' own gzip codec, with the output bounded (zlib stops once it has produced maxOutputLength bytes). */
export const gzipCodec: KafkaCodec = {
  compress: ({ buffer }) => gzipAsync(buffer),
  decompress: (buffer) => zlibBounded('gzip', unzipAsync(buffer, { maxOutputLength: MAX_DECOMPRESSED_BATCH_BYTES })),
};

async function zlibBounded(codec: string, decompressing: Promise<Buffer>): Promise<Buffer> {
  try {
    return await decompressing;
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
      throw new DecompressedBatchTooLarge(codec, `more than ${MAX_DECOMPRESSED_BATCH_BYTES} bytes`);
    throw error;
  }
}

let registered = false;

/** kafkajs ships only gzip (unbounded); every codec Kafka defines goes into its codec table once per process. */
export function registerCompressionCodecs(): void {
  if (registered) return;
  registered = true;
  const codecs = CompressionCodecs as Record<number, () => KafkaCodec>;
  codecs[CompressionTypes.GZIP] = () => gzipCodec;
  codecs[CompressionTypes.Snappy] = () => snappyCodec;
  codecs[CompressionTypes.LZ4] = () => lz4Codec;
  codecs[CompressionTypes.ZSTD] = () => zstdCodec;
}
