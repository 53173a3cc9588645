import { BillingKafkaServer, MissingHandlerError } from './billing-kafka.server';
import { TransientFaultRetrier } from './transient-fault.retrier';
import { Tracing } from '../tracing/tracing';
import { UndecodablePartitions } from '../observability/undecodable-partitions';

function serverIn(mode: 'message' | 'batch'): BillingKafkaServer {
  // Port 1: any attempt to reach a broker would fail, so the refusal must come before connecting.
  const delivery = {
    retrier: {} as TransientFaultRetrier,
    resumePositions: () => Promise.resolve([]),
    onConsumerDead: () => undefined,
    tracing: new Tracing(),
    undecodable: {} as UndecodablePartitions,
  };
  return new BillingKafkaServer(
    { client: { brokers: ['127.0.0.1:1'] }, consumer: { groupId: 'g' } },
    delivery,
    new Map([['orders.t1', 'order.completed']]),
    [],
    mode,
  );
}

const listen = (server: BillingKafkaServer) => new Promise<unknown>((resolve) => void server.listen(resolve));

describe('BillingKafkaServer', () => {
  it('refuses to start when a subscribed topic has no handler for the consume mode', async () => {
    const server = serverIn('batch');
    server.addHandler('order.completed', () => Promise.resolve(undefined), true);
    const error = await listen(server);
    expect(error).toBeInstanceOf(MissingHandlerError);
    expect((error as Error).message).toContain('order.completed#batch');
  });

  it('looks for the message form in message mode', async () => {
    const server = serverIn('message');
    server.addHandler('order.completed#batch', () => Promise.resolve(undefined), true);
    expect(await listen(server)).toBeInstanceOf(MissingHandlerError);
  });
});
