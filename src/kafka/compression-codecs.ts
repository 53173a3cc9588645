import { promisify } from 'node:util';
import { zstdCompress, zstdDecompress } from 'node:zlib';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { compressFrame, decompressFrame } from 'lz4-napi';
import { compress as snappyCompress, uncompress as snappyUncompress } from 'snappy';
import { CompressionCodec } from './compression-codec-names';

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
    if (!isXerialFramed(buffer)) return uncompressSnappyBlock(buffer);
    const blocks: Buffer[] = [];
    for (let position = XERIAL_HEADER_BYTES; position < buffer.length;) {
      if (position + 4 > buffer.length) throw new Error('xerial snappy frame ends inside a block length');
      const end = position + 4 + buffer.readInt32BE(position);
      if (end > buffer.length || end < position + 4) throw new Error('xerial snappy block runs past the end of the batch');
      blocks.push(await uncompressSnappyBlock(buffer.subarray(position + 4, end)));
      position = end;
    }
    return Buffer.concat(blocks);
  },
};

function isXerialFramed(buffer: Buffer): boolean {
  return buffer.length >= XERIAL_HEADER_BYTES && buffer.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC);
}

async function uncompressSnappyBlock(block: Buffer): Promise<Buffer> {
  return (await snappyUncompress(block, { asBuffer: true })) as Buffer;
}

/** Kafka's LZ4 is the standard LZ4 frame format (KIP-57), which Java, librdkafka and lz4_flex all write. */
export const lz4Codec: KafkaCodec = {
  compress: ({ buffer }) => compressFrame(buffer),
  decompress: (buffer) => decompressFrame(buffer),
};

const zstdCompressAsync = promisify(zstdCompress);
const zstdDecompressAsync = promisify(zstdDecompress);

export const zstdCodec: KafkaCodec = {
  compress: ({ buffer }) => zstdCompressAsync(buffer),
  decompress: (buffer) => zstdDecompressAsync(buffer),
};

let registered = false;

/** kafkajs ships only gzip; the other codecs Kafka defines go into its codec table once per process. */
export function registerCompressionCodecs(): void {
  if (registered) return;
  registered = true;
  const codecs = CompressionCodecs as Record<number, () => KafkaCodec>;
  codecs[CompressionTypes.Snappy] = () => snappyCodec;
  codecs[CompressionTypes.LZ4] = () => lz4Codec;
  codecs[CompressionTypes.ZSTD] = () => zstdCodec;
}
