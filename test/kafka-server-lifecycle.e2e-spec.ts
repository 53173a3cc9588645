import { logLevel } from 'kafkajs';
import { BillingKafkaServer, DeliveryOptions } from '../src/order-events/billing-kafka.server';
import { GroupConsumer } from '../src/kafka/group-consumer';
import { BoundedKafka } from '../src/kafka/bounded-kafka';
import { TransientFaultRetrier } from '../src/order-events/transient-fault.retrier';
import { PartitionOffset } from '../src/consumer-offsets/consumer-offsets.repository';
import { Tracing } from '../src/tracing/tracing';
import { UndecodablePartitions } from '../src/observability/undecodable-partitions';
import { BROKERS, TestKafka, uniqueName, waitFor } from './support/kafka';

/** The transport alone on the real broker, with the stored positions handed over when the test says so. */
function transportWithHeldPositions(topic: string) {
  let release: (positions: PartitionOffset[]) => void = () => undefined;
  const positionsAsked = { count: 0 };
  const deadConsumers: unknown[] = [];
  const delivery: DeliveryOptions = {
    retrier: { assigned: () => undefined } as unknown as TransientFaultRetrier,
    resumePositions: () => {
      positionsAsked.count += 1;
      return new Promise((resolve) => (release = resolve));
    },
    onConsumerDead: (error) => deadConsumers.push(error),
    tracing: new Tracing(),
    passedOver: () => undefined,
    storePassedOver: () => Promise.resolve(),
    undecodable: { keepOnly: () => undefined } as unknown as UndecodablePartitions,
  };
  const groupId = uniqueName('billing');
  const server = new BillingKafkaServer({
    consumer: () =>
      new GroupConsumer({
        kafka: new BoundedKafka({ brokers: BROKERS, logLevel: logLevel.NOTHING }),
        consumer: { groupId, sessionTimeout: 6_000 },
        subscribe: { fromBeginning: true },
      }),
    delivery,
    patternByTopic: new Map([[topic, 'order.completed']]),
  });
  server.addHandler('order.completed', () => Promise.resolve(undefined), true);
  return { server, positionsAsked, deadConsumers, release: (positions: PartitionOffset[]) => release(positions) };
}

describe('the Kafka transport on the real broker', () => {
  let kafka: TestKafka;
  const unhandled: unknown[] = [];
  const recordUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    kafka = await new TestKafka().connect();
    process.on('unhandledRejection', recordUnhandled);
  });

  afterAll(async () => {
    process.off('unhandledRejection', recordUnhandled);
    await kafka.disconnect();
  });

  it('stops cleanly when the stored positions arrive after the consumer stopped (no seek on a stopped consumer)', async () => {
    const topic = uniqueName('order.completed.lifecycle');
    await kafka.createTopic(topic, 2);
    const transport = transportWithHeldPositions(topic);
    await new Promise<unknown>((resolve) => void transport.server.listen(resolve));
    await waitFor(() => transport.positionsAsked.count > 0, 30_000, 'the group join to ask for stored positions');

    await transport.server.close();
    transport.release([{ topic, partition: 0, nextOffset: '0' }]);
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect(unhandled).toEqual([]);
    expect(transport.deadConsumers).toEqual([]);
  });
});
