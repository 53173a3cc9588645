import { gzipSync, zstdCompressSync } from 'node:zlib';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { compressFrameSync, compressSync as lz4BlockCompressSync, decompressFrame } from 'lz4-napi';
import { compressSync as snappyCompressSync, uncompress as snappyUncompress } from 'snappy';
import { recordBatch } from '../../test/support/record-batches';
import { KafkaCodec, lz4Codec, registerCompressionCodecs, snappyCodec, zstdCodec } from './compression-codecs';
import { decodeRecords } from './fetch-decoding';
import { readLz4FrameBound } from './lz4-frame-bound';

// Seen through, to tell whether the codecs call them.
jest.mock('snappy', () => {
  const actual = jest.requireActual<typeof import('snappy')>('snappy');
  return { ...actual, uncompress: jest.fn(actual.uncompress) };
});
jest.mock('lz4-napi', () => {
  const actual = jest.requireActual<typeof import('lz4-napi')>('lz4-napi');
  return { ...actual, decompressFrame: jest.fn(actual.decompressFrame) };
});

const text = Buffer.from('order.completed '.repeat(5_000));

describe('compression codecs', () => {
  beforeAll(() => registerCompressionCodecs());

  it.each([
    ['gzip', CompressionTypes.GZIP],
    ['snappy', CompressionTypes.Snappy],
    ['lz4', CompressionTypes.LZ4],
    ['zstd', CompressionTypes.ZSTD],
  ])('kafkajs writes and reads a %s record batch', async (_name, type) => {
    const values = Array.from({ length: 40 }, (_, i) => `{"event":${i}}`);
    const batch = await recordBatch(7, values, type);
    expect(batch.readInt16BE(21) & 0x07).toBe(type);
    const records = (await decodeRecords(batch)) as { offset: string; value: Buffer }[];
    expect(records.map((r) => r.value.toString())).toEqual(values);
    expect(records[39].offset).toBe('46');
  });

  it('registers the codecs in the table kafkajs looks them up in', async () => {
    const codecs = CompressionCodecs as Record<number, () => KafkaCodec>;
    const zstd = codecs[CompressionTypes.ZSTD]();
    expect((await zstd.decompress(await zstd.compress({ buffer: text }))).equals(text)).toBe(true);
  });

  it('reads raw snappy as librdkafka writes it', async () => {
    expect((await snappyCodec.decompress(snappyCompressSync(text))).equals(text)).toBe(true);
  });

  it('writes xerial-framed snappy in 32 KiB blocks, as Java does, and reads it back', async () => {
    const framed = await snappyCodec.compress({ buffer: text });
    expect(framed.subarray(0, 8)).toEqual(Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]));
    const firstBlock = framed.readInt32BE(16);
    expect(framed.length).toBeGreaterThan(16 + 4 + firstBlock + 4);
    expect((await snappyCodec.decompress(framed)).equals(text)).toBe(true);
  });

  it('refuses a xerial frame whose block runs past the end', async () => {
    const framed = await snappyCodec.compress({ buffer: text });
    await expect(snappyCodec.decompress(framed.subarray(0, framed.length - 3))).rejects.toThrow(/past the end/);
  });

  it('reads an LZ4 frame and a zstd frame written by other encoders', async () => {
    expect((await lz4Codec.decompress(compressFrameSync(text))).equals(text)).toBe(true);
    expect((await zstdCodec.decompress(zstdCompressSync(text))).equals(text)).toBe(true);
  });

  describe('a compression bomb (200 MiB of zeros in one batch)', () => {
    const zeros = Buffer.alloc(200 * 1024 * 1024);
    const codecs = CompressionCodecs as Record<number, () => KafkaCodec>;
    const xerialHeader = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
    // gzip members and zstd frames may follow one another in one stream: 200 of 1 MiB each, quicker to make than one.
    const repeated = (compress: (data: Buffer) => Buffer) => Buffer.concat(Array.from({ length: 200 }, () => compress(zeros.subarray(0, 1024 * 1024))));
    const makers: Record<string, () => Buffer> = {
      gzip: () => repeated((mib) => gzipSync(mib)),
      zstd: () => repeated((mib) => zstdCompressSync(mib)),
      'raw snappy': () => snappyCompressSync(zeros),
      'xerial snappy': () => {
        const block = snappyCompressSync(zeros);
        const length = Buffer.alloc(4);
        length.writeInt32BE(block.length);
        return Buffer.concat([xerialHeader, length, block]);
      },
      lz4: () => compressFrameSync(zeros),
    };
    const made = new Map<string, Buffer>();
    const bomb = (name: string) => made.get(name) ?? made.set(name, makers[name]()).get(name)!;
    const typeOf = (name: string) => ({ gzip: CompressionTypes.GZIP, zstd: CompressionTypes.ZSTD, lz4: CompressionTypes.LZ4 })[name] ?? CompressionTypes.Snappy;

    beforeEach(() => jest.clearAllMocks());

    it.each(Object.keys(makers))(
      'is refused as %s, over the limit of one batch',
      async (name) => {
        expect(bomb(name).length).toBeLessThan(16 * 1024 * 1024);
        await expect(codecs[typeOf(name)]().decompress(bomb(name))).rejects.toThrow(/over the limit of 67108864 bytes per batch/);
      },
      60_000,
    );

    it.each([
      ['raw snappy', snappyUncompress],
      ['xerial snappy', snappyUncompress],
      ['lz4', decompressFrame],
    ] as const)(
      'as %s, is refused from its headers, before anything is decompressed',
      async (name, decompressing) => {
        await expect(codecs[typeOf(name)]().decompress(bomb(name))).rejects.toThrow(/over the limit/);
        expect(decompressing).not.toHaveBeenCalled();
      },
      60_000,
    );
  });

  it('bounds an LZ4 frame by its blocks, and lz4-napi refuses a block that expands past the frame block size', async () => {
    const frame = compressFrameSync(text);
    const blockMaxSize = (64 * 1024) << (((frame[5] >> 4) - 4) * 2);
    const bound = readLz4FrameBound(frame);
    expect(bound).toBeGreaterThanOrEqual(text.length);
    expect(bound).toBeLessThan(text.length + blockMaxSize);
    // One block (lz4-napi's raw block, without its 4-byte size prefix) that would expand to 1 MiB, in a frame of 256 KiB blocks.
    const block = lz4BlockCompressSync(Buffer.alloc(1024 * 1024)).subarray(4);
    const size = Buffer.alloc(4);
    size.writeUInt32LE(block.length);
    const oversized = Buffer.concat([frame.subarray(0, 7), size, block, Buffer.alloc(4)]);
    expect(readLz4FrameBound(oversized)).toBe(blockMaxSize);
    await expect(lz4Codec.decompress(oversized)).rejects.toThrow(/OutputTooSmall/);
  });
});
