import { messageHeaders, producerHeaders } from './kafka-headers';

// kafkajs' own record encoder and decoder: what a producer writes and a consumer reads, byte for byte.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (record: object) => { buffer: Buffer };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => unknown;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const decodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/decoder') as (decoder: unknown, context: object) => { headers: object };

function roundTrip(headers: Parameters<typeof producerHeaders>[0]): object {
  const { buffer } = encodeRecord({ key: null, value: Buffer.from('{}'), headers: producerHeaders(headers) });
  const decoder = new Decoder(buffer) as { readVarInt(): number; readBytes(n: number): Buffer };
  const body = decoder.readBytes(decoder.readVarInt());
  return decodeRecord(new Decoder(body), { firstOffset: '0', firstTimestamp: '0' }).headers;
}

describe('Kafka headers', () => {
  it('writes a repeated key as its values in order, a null value as null and an empty one as empty', () => {
    const headers = { 'x-dup': [Buffer.from('1'), Buffer.from('2')], 'x-null': null, 'x-empty': Buffer.alloc(0), 'x-bin': Buffer.from([0xff, 0x00]) };
    expect(roundTrip(headers)).toEqual(headers);
  });

  it('keeps a null among the values of a repeated key', () => {
    expect(roundTrip({ k: [null, Buffer.from('v'), null] })).toEqual({ k: [null, Buffer.from('v'), null] });
  });

  it('keeps what kafkajs decoded and drops only what no header can be', () => {
    const decoded = { a: Buffer.from('x'), b: null, c: [Buffer.from('1'), null], d: undefined, e: 42, f: [Buffer.from('1'), 2] };
    expect(messageHeaders(decoded)).toEqual({ a: Buffer.from('x'), b: null, c: [Buffer.from('1'), null] });
  });
});
