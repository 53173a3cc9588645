import { zstdCompressSync } from 'node:zlib';
import { CompressionTypes } from 'kafkajs';
import fetchV4 from 'kafkajs/src/protocol/requests/fetch/v4/response';
import fetchV6 from 'kafkajs/src/protocol/requests/fetch/v6/response';
import fetchV7 from 'kafkajs/src/protocol/requests/fetch/v7/response';
import fetchV10 from 'kafkajs/src/protocol/requests/fetch/v10/response';
import fetchV11 from 'kafkajs/src/protocol/requests/fetch/v11/response';
import {
  fetchResponse,
  fetchResponseV11,
  flipLastByte,
  recordBatch,
  withAttributes,
  withCompressedRecords,
  withValidCrc,
} from '../../test/support/record-batches';
import { installKafkaAdapter } from './kafka-adapter';
import { onUndecodableBatch, UndecodableBatch, UndecodableBatchError } from './fetch-decoding';

// kafkajs' own decoders, before installKafkaAdapter() replaces them.
const kafkajsDecode = new Map([fetchV4, fetchV6, fetchV7, fetchV10, fetchV11].map((response) => [response, response.decode]));

interface DecodedPartition {
  partition: number;
  messages: { offset: string; value: Buffer }[];
}
interface Decoded {
  responses: { topicName: string; partitions: DecodedPartition[] }[];
}

const values = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `v${from + i}`);

async function decode(raw: Buffer): Promise<Decoded> {
  const decoded = (await fetchV11.decode(raw)) as Decoded;
  // kafkajs' own check of the partition error codes still runs on what the decoding returns.
  (fetchV11.parse as (data: unknown) => unknown)(decoded);
  return decoded;
}

function valuesOf(decoded: Decoded, partition: number): string[] {
  return decoded.responses[0].partitions.find((p) => p.partition === partition)!.messages.map((m) => m.value.toString());
}

describe('fetch responses decoded partition by partition', () => {
  const reports: UndecodableBatch[] = [];
  let stopListening: () => void = () => undefined;
  beforeAll(() => installKafkaAdapter());
  beforeEach(() => {
    reports.length = 0;
    stopListening = onUndecodableBatch((batch) => reports.push(batch) > 0);
  });
  afterEach(() => stopListening());

  it('delivers the other partitions and reports a batch whose CRC does not match, with its offsets', async () => {
    const corrupt = flipLastByte(await recordBatch(40, values(5), CompressionTypes.GZIP));
    const raw = fetchResponseV11('orders', [
      { partition: 0, records: await recordBatch(0, values(3), CompressionTypes.Snappy) },
      { partition: 1, records: corrupt },
      { partition: 2, records: await recordBatch(10, values(2), CompressionTypes.ZSTD) },
    ]);
    const decoded = await decode(raw);
    expect(valuesOf(decoded, 0)).toEqual(values(3));
    expect(valuesOf(decoded, 1)).toEqual([]);
    expect(valuesOf(decoded, 2)).toEqual(values(2));
    expect(reports).toEqual([
      { topic: 'orders', partition: 1, offset: '40', lastOffset: '44', error: expect.objectContaining({ message: expect.stringMatching(/CRC-32C mismatch/) }) },
    ]);
  });

  it('reports compressed bytes that do not decompress although their CRC matches', async () => {
    const garbage = withValidCrc(flipLastByte(await recordBatch(3, values(4), CompressionTypes.LZ4)));
    await decode(fetchResponseV11('orders', [{ partition: 5, records: garbage }]));
    expect(reports).toEqual([expect.objectContaining({ partition: 5, offset: '3', lastOffset: '6' })]);
  });

  it('reports a zstd batch that would expand past the limit of one batch (a compression bomb), and delivers the others', async () => {
    const bomb = zstdCompressSync(Buffer.alloc(200 * 1024 * 1024));
    const raw = fetchResponseV11('orders', [
      { partition: 0, records: withCompressedRecords(await recordBatch(20, values(3), CompressionTypes.ZSTD), bomb) },
      { partition: 1, records: await recordBatch(0, values(2), CompressionTypes.ZSTD) },
    ]);
    const decoded = await decode(raw);
    expect(valuesOf(decoded, 0)).toEqual([]);
    expect(valuesOf(decoded, 1)).toEqual(values(2));
    expect(reports).toEqual([
      {
        topic: 'orders',
        partition: 0,
        offset: '20',
        lastOffset: '22',
        error: { name: 'KafkaDecompressedBatchTooLarge', message: expect.stringMatching(/^zstd record batch decompresses to more than 67108864 bytes/) },
      },
    ]);
  }, 60_000);

  it('reports a codec Kafka does not define', async () => {
    const unknownCodec = withAttributes(await recordBatch(0, values(1), CompressionTypes.GZIP), 5);
    await decode(fetchResponseV11('orders', [{ partition: 0, records: unknownCodec }]));
    expect(reports).toEqual([
      expect.objectContaining({ error: expect.objectContaining({ message: expect.stringMatching(/codec 5, which Kafka does not define/) }) }),
    ]);
  });

  it('delivers the batches before a bad one and leaves the report to the fetch that starts at it', async () => {
    const good = await recordBatch(0, values(3), CompressionTypes.GZIP);
    const bad = flipLastByte(await recordBatch(3, values(2, 3), CompressionTypes.GZIP));
    const decoded = await decode(fetchResponseV11('orders', [{ partition: 0, records: Buffer.concat([good, bad]) }]));
    expect(valuesOf(decoded, 0)).toEqual(values(3));
    expect(reports).toEqual([]);
  });

  it('leaves a batch cut short by the fetch size for the next fetch, as kafkajs does', async () => {
    const whole = await recordBatch(0, values(2));
    const next = await recordBatch(2, values(2, 2));
    const decoded = await decode(fetchResponseV11('orders', [{ partition: 0, records: Buffer.concat([whole, next.subarray(0, next.length - 5)]) }]));
    expect(valuesOf(decoded, 0)).toEqual(values(2));
    expect(reports).toEqual([]);
  });

  it('fails the fetch as before, naming topic, partition and offset, when no consumer takes the partition', async () => {
    stopListening();
    const corrupt = flipLastByte(await recordBatch(12, values(2), CompressionTypes.ZSTD));
    const failure = decode(fetchResponseV11('orders', [{ partition: 4, records: corrupt }]));
    await expect(failure).rejects.toThrow(UndecodableBatchError);
    await expect(failure).rejects.toThrow('orders[4] offset 12');
  });

  it.each([
    [4, fetchV4],
    [6, fetchV6],
    [7, fetchV7],
    [10, fetchV10],
  ])('reads the fields of fetch v%i as kafkajs does, and reports per partition there too', async (version, response) => {
    const raw = fetchResponse(version, 'orders', [
      { partition: 0, records: flipLastByte(await recordBatch(0, values(1))) },
      { partition: 1, records: await recordBatch(0, values(2), CompressionTypes.LZ4) },
    ]);
    const decoded = (await response.decode(raw)) as Decoded & Record<string, unknown>;
    expect(valuesOf(decoded, 1)).toEqual(values(2));
    expect(decoded.responses[0].partitions[1]).toMatchObject({ partition: 1, errorCode: 0, highWatermark: '1000', lastStableOffset: '1000' });
    expect(Object.keys(decoded).sort()).toEqual(
      version >= 8
        ? ['clientSideThrottleTime', 'errorCode', 'responses', 'sessionId', 'throttleTime']
        : version === 7
          ? ['errorCode', 'responses', 'sessionId', 'throttleTime']
          : ['responses', 'throttleTime'],
    );
    expect(reports).toEqual([expect.objectContaining({ partition: 0, offset: '0' })]);
  });

  it.each([
    [4, fetchV4],
    [6, fetchV6],
    [7, fetchV7],
    [10, fetchV10],
    [11, fetchV11],
  ])('decodes a sound fetch v%i response exactly as kafkajs does', async (version, response) => {
    const raw = fetchResponse(version, 'orders', [
      { partition: 0, records: Buffer.concat([await recordBatch(0, values(3), CompressionTypes.GZIP), await recordBatch(3, values(2, 3))]) },
      { partition: 3, records: Buffer.alloc(0) },
    ]);
    expect(response.decode).not.toBe(kafkajsDecode.get(response));
    expect(await response.decode(raw)).toEqual(await kafkajsDecode.get(response)!(raw));
  });
});
