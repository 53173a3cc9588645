import { Producer, ProducerRecord, RecordMetadata } from 'kafkajs';
import { IncompleteSendError, sendCompletely } from './complete-send';

/** A producer that writes only the partitions `writes` lets through, as kafkajs does after a leader moved mid-send. */
function producer(writes: (partition: number) => boolean): { producer: Producer; sent: ProducerRecord[] } {
  const sent: ProducerRecord[] = [];
  const send = (record: ProducerRecord): Promise<RecordMetadata[]> => {
    sent.push(record);
    const partitions = [...new Set(record.messages.map((m) => m.partition!))].filter(writes);
    return Promise.resolve(partitions.map((partition) => ({ topicName: record.topic, partition, errorCode: 0, baseOffset: '0' })));
  };
  return { producer: { send } as unknown as Producer, sent };
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

  it('fails, retriably, when the answer lacks a partition the messages went to', async () => {
    const { producer: fake } = producer((partition) => partition !== 3);
    const sent = sendCompletely(fake, { topic: 't', messages }, 8);
    await expect(sent).rejects.toThrow(IncompleteSendError);
    await expect(sent).rejects.toMatchObject({ retriable: true, message: expect.stringContaining('partition(s) 3 of t') as unknown });
  });
});
