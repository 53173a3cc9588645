import { KafkaMessage } from 'kafkajs';
import { BillingKafkaServer, MissingHandlerError, passedOverBy, settlesThroughOf } from './billing-kafka.server';
import { TransientFaultRetrier } from './transient-fault.retrier';
import { Tracing } from '../tracing/tracing';
import { UndecodablePartitions } from '../observability/undecodable-partitions';

function serverFor(topic: string): BillingKafkaServer {
  // Port 1: any attempt to reach a broker would fail, so the refusal must come before connecting.
  const delivery = {
    retrier: {} as TransientFaultRetrier,
    resumePositions: () => Promise.resolve([]),
    onConsumerDead: () => undefined,
    tracing: new Tracing(),
    passedOver: () => undefined,
    storePassedOver: () => Promise.resolve(),
    undecodable: {} as UndecodablePartitions,
  };
  return new BillingKafkaServer({
    kafka: { client: { brokers: ['127.0.0.1:1'] }, consumer: { groupId: 'g' } },
    delivery,
    patternByTopic: new Map([[topic, 'order.completed']]),
  });
}

const listen = (server: BillingKafkaServer) => new Promise<unknown>((resolve) => void server.listen(resolve));

describe('BillingKafkaServer', () => {
  it('refuses to start when a subscribed topic has no handler', async () => {
    const server = serverFor('orders.t1');
    server.addHandler('invoice.created', () => Promise.resolve(undefined), true);
    const error = await listen(server);
    expect(error).toBeInstanceOf(MissingHandlerError);
    expect((error as Error).message).toContain('order.completed');
  });
});

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
