import { Producer, ProducerRecord } from 'kafkajs';
import { PoisonMessageError } from '../common/errors';
import { ConsumerPolicyConfig, KafkaConfig, KafkaTimeoutConfig } from '../config/configuration';
import { KafkaLogging } from '../observability/logging.module';
import { Tracing } from '../tracing/tracing';
import { BoundedKafka } from '../kafka/bounded-kafka';
import { DeadLetterPublisher } from './dead-letter.publisher';

describe('DeadLetterPublisher', () => {
  afterEach(() => jest.restoreAllMocks());

  it('asks the broker to answer an acks=all write clearly before the client stops waiting for it', async () => {
    const sent: ProducerRecord[] = [];
    const producer = { connect: async () => {}, disconnect: async () => {}, send: (record: ProducerRecord) => Promise.resolve(void sent.push(record)) };
    jest.spyOn(BoundedKafka.prototype, 'producer').mockReturnValue(producer as unknown as Producer);
    const timeouts = new KafkaTimeoutConfig(3_000, 10_000);
    const config = new KafkaConfig(['127.0.0.1:9092'], 'billing', 'billing', 'orders', 'orders.dlt', 1, 1, 'batch', 30_000, undefined, undefined, timeouts);
    const logging = { logCreator: () => () => undefined } as unknown as KafkaLogging;
    const tracing = { send: (_topic: string, work: () => Promise<void>) => work() } as unknown as Tracing;
    const publisher = new DeadLetterPublisher(config, new ConsumerPolicyConfig(100, 1_000, 60_000, 1_000_000), logging, tracing);

    await publisher.publish({ key: null, value: Buffer.from('{'), headers: {} }, { topic: 'orders', partition: 0, offset: '7' }, poison());

    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ topic: 'orders.dlt', acks: -1 });
    expect(sent[0].timeout).toBeGreaterThan(0);
    expect(sent[0].timeout).toBeLessThan(timeouts.requestTimeoutMs);
  });
});

function poison(): PoisonMessageError {
  return new PoisonMessageError('invalid_json', 'not JSON');
}
