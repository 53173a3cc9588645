import { zstdCompressSync } from 'node:zlib';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { compressFrameSync } from 'lz4-napi';
import { compressSync as snappyCompressSync } from 'snappy';
import { recordBatch } from '../../test/support/record-batches';
import { KafkaCodec, lz4Codec, registerCompressionCodecs, snappyCodec, zstdCodec } from './compression-codecs';
import { decodeRecords } from './fetch-decoding';

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
});
