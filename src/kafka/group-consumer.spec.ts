import { ConsumerConfig, Kafka, KafkaMessage } from 'kafkajs';
import { GroupConsumer, passedOverBy, settlesThroughOf, withPollsWithinHeartbeat } from './group-consumer';

describe('positions past transaction markers and aborted messages', () => {
  const message = (offset: string) => ({ offset }) as KafkaMessage;
  // As kafkajs hands it over: the messages left after dropping markers and aborted messages, and the last record fetched.
  const batchOf = (messages: KafkaMessage[], lastOffset: string) => ({ messages, lastOffset: () => lastOffset });

  it('lets the last message of a batch settle the markers and aborted messages fetched after it', () => {
    const [first, last] = [message('4'), message('7')];
    const batch = batchOf([first, last], '9');
    expect(settlesThroughOf(batch, last)).toBe('9');
    expect(settlesThroughOf(batch, first)).toBeUndefined();
  });

  it('settles nothing beyond a last message that is the last record fetched', () => {
    const last = message('7');
    expect(settlesThroughOf(batchOf([message('6'), last], '7'), last)).toBeUndefined();
  });

  it('takes a fetch kafkajs handed over nothing of, but records it held, as passed over up to its last record', () => {
    const event = (batchSize: number, firstOffset: string | null) => ({
      payload: { topic: 'orders', partition: 2, batchSize, firstOffset, lastOffset: '12' },
    });
    expect(passedOverBy(event(0, '10'))).toEqual({ topic: 'orders', partition: 2, lastOffset: '12' });
    expect(passedOverBy(event(3, '10'))).toBeUndefined();
    // Emptied by compaction: no record at or after the fetch offset, so nothing is known to have been passed.
    expect(passedOverBy(event(0, null))).toBeUndefined();
  });
});

describe('the long poll of a fetch', () => {
  it('waits no longer than the heartbeat interval, which kafkajs can only keep between fetches', () => {
    const made: ConsumerConfig[] = [];
    const kafka = { consumer: (config: ConsumerConfig) => made.push(config) } as unknown as Kafka;
    new GroupConsumer({ kafka, consumer: { groupId: 'g', heartbeatInterval: 2_000 }, commitIntervalMs: 1_000 });
    expect(made).toEqual([{ groupId: 'g', heartbeatInterval: 2_000, maxWaitTimeInMs: 2_000 }]);
    // kafkajs' defaults: a 5-second poll against a 3-second interval.
    expect(withPollsWithinHeartbeat({ groupId: 'g' }).maxWaitTimeInMs).toBe(3_000);
  });

  it('keeps a shorter poll, and every other option, as given', () => {
    const consumer = { groupId: 'g', heartbeatInterval: 3_000, maxWaitTimeInMs: 500, sessionTimeout: 9_000 };
    expect(withPollsWithinHeartbeat(consumer)).toEqual(consumer);
  });
});
