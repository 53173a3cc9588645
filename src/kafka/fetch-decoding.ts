import Decoder from 'kafkajs/src/protocol/decoder';
import decodeRecordBatch from 'kafkajs/src/protocol/recordBatch/v0/decoder';
import decodeMessageSet from 'kafkajs/src/protocol/messageSet/decoder';
import crc32C from 'kafkajs/src/protocol/recordBatch/crc32C';
import fetchV4 from 'kafkajs/src/protocol/requests/fetch/v4/response';
import fetchV5 from 'kafkajs/src/protocol/requests/fetch/v5/response';
import fetchV6 from 'kafkajs/src/protocol/requests/fetch/v6/response';
import fetchV7 from 'kafkajs/src/protocol/requests/fetch/v7/response';
import fetchV8 from 'kafkajs/src/protocol/requests/fetch/v8/response';
import fetchV9 from 'kafkajs/src/protocol/requests/fetch/v9/response';
import fetchV10 from 'kafkajs/src/protocol/requests/fetch/v10/response';
import fetchV11 from 'kafkajs/src/protocol/requests/fetch/v11/response';
import { BillingError } from '../common/errors';

/** A record batch the client cannot turn into records: unknown codec, corrupt compressed data, CRC mismatch. */
export interface UndecodableBatch {
  topic: string;
  partition: number;
  /** The batch's first offset, and its last: the partition resumes after `lastOffset` once the batch is skipped. */
  offset: string;
  lastOffset: string;
  error: { name: string; message: string };
}

/** Returns true when it takes charge of the partition (pauses it); no listener taking it fails the fetch as before. */
export type UndecodableBatchListener = (batch: UndecodableBatch) => boolean;

const listeners = new Set<UndecodableBatchListener>();

export function onUndecodableBatch(listener: UndecodableBatchListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export class UndecodableBatchError extends BillingError {
  override readonly name = 'KafkaUndecodableBatch';
  readonly code = 'kafka.undecodable_batch';

  constructor(readonly batch: UndecodableBatch) {
    super(`cannot decode the record batch at ${batch.topic}[${batch.partition}] offset ${batch.offset}: ${batch.error.message}`);
  }
}

interface ResponseLayout {
  /** v7+ carry the fetch session; v8+ say the throttle is the client's to apply. */
  session: 'none' | 'v7' | 'v8';
  logStartOffset: boolean;
  preferredReadReplica: boolean;
}

const V4: ResponseLayout = { session: 'none', logStartOffset: false, preferredReadReplica: false };
const V5: ResponseLayout = { ...V4, logStartOffset: true };
const V7: ResponseLayout = { ...V5, session: 'v7' };
const V8: ResponseLayout = { ...V5, session: 'v8' };
const V11: ResponseLayout = { ...V8, preferredReadReplica: true };

let installed = false;

/**
 * kafkajs 2.2.4 decodes a fetch response as one piece: one batch it cannot decode throws out of the whole fetch,
 * and the consumer stops every partition for good. These decoders read the same fields (fetch v4-v11, the record
 * batch formats) but decode each partition's records on their own: a failing batch becomes a report naming its
 * topic, partition and offsets, while every other partition of the response is delivered as usual. The records
 * decoded before the failing batch are still delivered, so the next fetch of the partition starts at that batch.
 */
export function installFetchDecoding(): void {
  if (installed) return;
  installed = true;
  for (const [response, layout] of [
    [fetchV4, V4],
    [fetchV5, V5],
    [fetchV6, V5],
    [fetchV7, V7],
    [fetchV8, V8],
    [fetchV9, V8],
    [fetchV10, V8],
    [fetchV11, V11],
  ] as const) {
    response.decode = (rawData) => decodeFetchResponse(rawData, layout);
  }
}

export async function decodeFetchResponse(rawData: Buffer, layout: ResponseLayout): Promise<Record<string, unknown>> {
  const decoder = new Decoder(rawData);
  const head = readResponseHead(decoder, layout);
  const responses = await decoder.readArrayAsync(async (topicDecoder) => {
    const topicName = topicDecoder.readString();
    const partitions = await topicDecoder.readArrayAsync((partitionDecoder) => decodePartition(partitionDecoder, topicName, layout));
    return { topicName, partitions };
  });
  return { ...head, responses };
}

function readResponseHead(decoder: Decoder, { session }: ResponseLayout): Record<string, number> {
  const throttleTime = decoder.readInt32();
  if (session === 'none') return { throttleTime };
  const errorCode = decoder.readInt16();
  const sessionId = decoder.readInt32();
  // As kafkajs: from v8 on the broker has not throttled; the client is to wait itself.
  return session === 'v7' ? { throttleTime, errorCode, sessionId } : { throttleTime: 0, clientSideThrottleTime: throttleTime, errorCode, sessionId };
}

async function decodePartition(decoder: Decoder, topic: string, layout: ResponseLayout): Promise<Record<string, unknown>> {
  const partition = decoder.readInt32();
  const header: Record<string, unknown> = {
    partition,
    errorCode: decoder.readInt16(),
    highWatermark: decoder.readInt64().toString(),
    lastStableOffset: decoder.readInt64().toString(),
  };
  // kafkajs' own (misspelt) name for the log start offset.
  if (layout.logStartOffset) header.lastStartOffset = decoder.readInt64().toString();
  header.abortedTransactions = decoder.readArray((d) => ({ producerId: d.readInt64().toString(), firstOffset: d.readInt64().toString() }));
  if (layout.preferredReadReplica) header.preferredReadReplica = decoder.readInt32();
  return { ...header, messages: await decodeRecordsOrReport(decoder, topic, partition) };
}

async function decodeRecordsOrReport(decoder: Decoder, topic: string, partition: number): Promise<unknown[]> {
  const size = decoder.readInt32();
  if (size <= 0 || !decoder.canReadBytes(size)) return [];
  const records = decoder.readBytes(size);
  try {
    return await decodeRecords(records);
  } catch (error) {
    if (!(error instanceof BatchDecodingFailure)) throw error;
    const batch: UndecodableBatch = { topic, partition, ...error.where, error: describe(error.cause) };
    if (!report(batch)) throw new UndecodableBatchError(batch);
    return [];
  }
}

function report(batch: UndecodableBatch): boolean {
  let taken = false;
  for (const listener of listeners) taken = listener(batch) || taken;
  return taken;
}

// Record batch v2 (magic 2): baseOffset int64, length int32, partitionLeaderEpoch int32, magic int8, crc uint32,
// then the attributes, lastOffsetDelta int32 and the rest, which the CRC-32C covers.
const LENGTH_AT = 8;
const MAGIC_AT = 16;
const CRC_AT = 17;
const CRC_FROM = 21;
const ATTRIBUTES_AT = 21;
const LAST_OFFSET_DELTA_AT = 23;
const LOG_OVERHEAD = 12;
const RECORD_BATCH_OVERHEAD = 61;
const RECORD_BATCH_MAGIC = 2;
const CODEC_MASK = 0x07;
const HIGHEST_CODEC = 4;

class BatchDecodingFailure extends Error {
  constructor(
    readonly where: { offset: string; lastOffset: string },
    override readonly cause: unknown,
  ) {
    super('record batch cannot be decoded');
  }
}

/** The records of one partition's fetched bytes; a trailing partial batch (cut at the fetch's maxBytes) is left for the next fetch. */
export async function decodeRecords(bytes: Buffer): Promise<unknown[]> {
  if (bytes.length <= MAGIC_AT || bytes.readInt8(MAGIC_AT) !== RECORD_BATCH_MAGIC) return decodeLegacyMessageSet(bytes);
  const records: unknown[] = [];
  for (let position = 0; bytes.length - position >= LOG_OVERHEAD;) {
    const end = position + LOG_OVERHEAD + bytes.readInt32BE(position + LENGTH_AT);
    if (end > bytes.length) break;
    const batch = bytes.subarray(position, end);
    try {
      records.push(...(await decodeBatch(batch)));
    } catch (error) {
      // What came before is delivered; the next fetch of the partition starts at this batch and reports it.
      if (records.length > 0) break;
      throw new BatchDecodingFailure(batchOffsets(batch), error);
    }
    position = end;
  }
  return records;
}

async function decodeBatch(batch: Buffer): Promise<unknown[]> {
  if (batch.length < RECORD_BATCH_OVERHEAD) throw new Error(`record batch of ${batch.length} bytes is shorter than its header`);
  const magic = batch.readInt8(MAGIC_AT);
  if (magic !== RECORD_BATCH_MAGIC) throw new Error(`record batch has magic ${magic} among magic ${RECORD_BATCH_MAGIC} batches`);
  const stored = batch.readUInt32BE(CRC_AT);
  const computed = crc32C(batch.subarray(CRC_FROM));
  if (stored !== computed) throw new Error(`record batch CRC-32C mismatch (stored ${stored}, computed ${computed})`);
  // kafkajs would read the records of an unknown codec as uncompressed bytes.
  const codec = batch.readInt16BE(ATTRIBUTES_AT) & CODEC_MASK;
  if (codec > HIGHEST_CODEC) throw new Error(`record batch names compression codec ${codec}, which Kafka does not define`);
  return (await decodeRecordBatch(new Decoder(batch))).records;
}

async function decodeLegacyMessageSet(bytes: Buffer): Promise<unknown[]> {
  try {
    return await decodeMessageSet(new Decoder(bytes), bytes.length);
  } catch (error) {
    throw new BatchDecodingFailure(batchOffsets(bytes), error);
  }
}

function batchOffsets(batch: Buffer): { offset: string; lastOffset: string } {
  const offset = batch.length >= 8 ? batch.readBigInt64BE(0) : -1n;
  const lastOffsetDelta =
    batch.length >= LAST_OFFSET_DELTA_AT + 4 && batch.readInt8(MAGIC_AT) === RECORD_BATCH_MAGIC ? batch.readInt32BE(LAST_OFFSET_DELTA_AT) : 0;
  return { offset: offset.toString(), lastOffset: (offset + BigInt(lastOffsetDelta)).toString() };
}

function describe(error: unknown): { name: string; message: string } {
  return error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) };
}
