import { BillingKafkaServer, MissingHandlerError } from './billing-kafka.server';
import { GroupConsumer } from '../kafka/group-consumer';
import { BoundedKafka } from '../transport-security/bounded-kafka';
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
    consumer: () => new GroupConsumer({ kafka: new BoundedKafka({ brokers: ['127.0.0.1:1'] }), consumer: { groupId: 'g' } }),
    delivery,
    patternByTopic: new Map([[topic, 'order.completed']]),
    groupId: 'g',
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
