import { Partitioners } from 'kafkajs';
import { IncompleteSendError, sendCompletely } from './complete-send';
import { KafkaProducer, OutgoingRecord, WrittenPartition } from './kafka-producer';

/** A producer that writes only the partitions `writes` lets through, as kafkajs does after a leader moved mid-send. */
function producer(writes: (partition: number) => boolean): { producer: KafkaProducer; sent: OutgoingRecord[] } {
  const sent: OutgoingRecord[] = [];
  const send = (record: OutgoingRecord): Promise<WrittenPartition[]> => {
    sent.push(record);
    const partitions = [...new Set(record.messages.map((m) => m.partition!))].filter(writes);
    return Promise.resolve(partitions.map((partition) => ({ topicName: record.topic, partition, errorCode: 0, baseOffset: '0' })));
  };
  return { producer: { send } as unknown as KafkaProducer, sent };
}

const messages = Array.from({ length: 40 }, (_, i) => ({ key: `order-${i}`, value: `{"n":${i}}` }));

describe('sendCompletely', () => {
  it('gives each message the partition of its key, the same on every send', async () => {
    const { producer: fake, sent } = producer(() => true);
    await sendCompletely(fake, { topic: 't', messages }, 8);
    await sendCompletely(fake, { topic: 't', messages }, 8);
    const [first, second] = sent.map((record) => record.messages.map((m) => m.partition));
    expect(first).toEqual(second);
    expect(new Set(first).size).toBeGreaterThan(1);
    expect(first.every((p) => Number.isInteger(p) && p! >= 0 && p! < 8)).toBe(true);
  });

  /** Apache Kafka's UtilsTest.testMurmur2: murmur2 of these keys, as the Java client hashes them. */
  const JAVA_MURMUR2: [string, number][] = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ];

  it.each([1, 3, 6, 8, 12, 50])('puts a key on the partition the Java client picks, over %i partitions', async (partitionCount) => {
    const { producer: fake, sent } = producer(() => true);
    await sendCompletely(fake, { topic: 't', messages: JAVA_MURMUR2.map(([key]) => ({ key, value: '{}' })) }, partitionCount);
    // Java's DefaultPartitioner: toPositive(murmur2(key)) % partitions.
    expect(sent[0].messages.map((m) => m.partition)).toEqual(JAVA_MURMUR2.map(([, hash]) => (hash & 0x7fffffff) % partitionCount));
  });

  it.each([2, 6, 7, 32])('agrees with kafkajs DefaultPartitioner for every key, over %i partitions', async (partitionCount) => {
    const { producer: fake, sent } = producer(() => true);
    await sendCompletely(fake, { topic: 't', messages }, partitionCount);
    const partitionMetadata = Array.from({ length: partitionCount }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      replicas: [0],
      isr: [0],
      partitionErrorCode: 0,
    }));
    const partitioner = Partitioners.DefaultPartitioner();
    expect(sent[0].messages.map((m) => m.partition)).toEqual(messages.map((message) => partitioner({ topic: 't', partitionMetadata, message })));
  });

  it('fails, retriably, when the answer lacks a partition the messages went to', async () => {
    const { producer: fake } = producer((partition) => partition !== 3);
    const sent = sendCompletely(fake, { topic: 't', messages }, 8);
    await expect(sent).rejects.toThrow(IncompleteSendError);
    await expect(sent).rejects.toMatchObject({ retriable: true, message: expect.stringContaining('partition(s) 3 of t') as unknown });
  });
});
