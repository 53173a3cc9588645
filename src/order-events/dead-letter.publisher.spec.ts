import { PoisonMessageError } from '../common/errors';
import { KafkaConfig, KafkaTimeoutConfig, loadConfig, produceAckTimeoutFor } from '../config/configuration';
import { consumerPolicy, mockOf } from '../../test/support/builders';
import { KafkaClient } from '../kafka/kafka-client';
import { KafkaProducer, OutgoingRecord } from '../kafka/kafka-producer';
import { KafkaLogging } from '../observability/logging.module';
import { Tracing } from '../tracing/tracing';
import { DeadLetterPublisher } from './dead-letter.publisher';

describe('DeadLetterPublisher', () => {
  afterEach(() => jest.restoreAllMocks());

  it('asks the broker to answer an acks=all write clearly before the client stops waiting for it', async () => {
    const sent: OutgoingRecord[] = [];
    const producer: KafkaProducer = {
      connect: () => Promise.resolve(),
      disconnect: () => Promise.resolve(),
      send: (record) => Promise.resolve(void sent.push(record)).then(() => []),
    };
    jest.spyOn(KafkaClient.prototype, 'producer').mockReturnValue(producer);
    const loaded = loadConfig({ AUTH_JWT_SECRET: 'unit-test-secret-0123456789-abcdefghijkl' }).kafka;
    const timeouts = new KafkaTimeoutConfig({ ...loaded.timeouts, requestTimeoutMs: 10_000, produceAckTimeoutMs: produceAckTimeoutFor(10_000) });
    const config = new KafkaConfig({
      ...loaded,
      brokers: ['127.0.0.1:9092'],
      topic: 'orders',
      deadLetterTopic: 'orders.dlt',
      timeouts,
    });
    const logging = mockOf(KafkaLogging, { logCreator: () => () => undefined });
    const tracing = mockOf(Tracing, { send: (_topic, work) => work(undefined) });
    const publisher = new DeadLetterPublisher(config, consumerPolicy({ deadLetterCompression: 'lz4' }), logging, tracing);

    await publisher.publish({ key: null, value: Buffer.from('{'), headers: {} }, { topic: 'orders', partition: 0, offset: '7' }, poison());

    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ topic: 'orders.dlt', acks: -1, compression: 'lz4' });
    expect(sent[0].timeout).toBeGreaterThan(0);
    expect(sent[0].timeout).toBeLessThan(timeouts.requestTimeoutMs);
  });
});

function poison(): PoisonMessageError {
  return new PoisonMessageError('invalid_json', 'not JSON');
}
