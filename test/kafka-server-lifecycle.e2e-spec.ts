import { logLevel } from 'kafkajs';
import { BillingKafkaServer, DeliveryOptions } from '../src/order-events/billing-kafka.server';
import { GroupConsumer } from '../src/kafka/group-consumer';
import { BoundedKafka } from '../src/kafka/bounded-kafka';
import { TransientFaultRetrier } from '../src/order-events/transient-fault.retrier';
import { PartitionOffset } from '../src/consumer-offsets/consumer-offsets.repository';
import { Tracing } from '../src/tracing/tracing';
import { UndecodablePartitions } from '../src/observability/undecodable-partitions';
import { asMessage, BROKERS, orderCompleted, TestKafka, uniqueName, waitFor } from './support/kafka';
import { ConsumedBatch } from '../src/order-events/consumed-batch';

/** Closed after each test, also one that failed: a consumer left running would outlive the test's environment. */
const runningServers: BillingKafkaServer[] = [];

/**
 * The transport alone on the real broker, with the stored positions handed over when the test says so. Every
 * assignment asks for them (a rebalance asks again): each ask, before or after the release, gets the released ones.
 */
function transportWithHeldPositions(topic: string, commitIntervalMs = 1_000, handlerGate: Promise<void> = Promise.resolve()) {
  let release!: (positions: PartitionOffset[]) => void;
  const storedPositions = new Promise<PartitionOffset[]>((resolve) => (release = resolve));
  const positionsAsked = { count: 0 };
  const deadConsumers: unknown[] = [];
  const delivery: DeliveryOptions = {
    retrier: {
      assigned: () => undefined,
      deliver: async (_from: unknown, work: (isRetry: boolean) => Promise<void>) => {
        await work(false);
        return true;
      },
    } as unknown as TransientFaultRetrier,
    resumePositions: () => {
      positionsAsked.count += 1;
      return storedPositions;
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
        // Short long polls and heartbeats: the member notices a rebalance, and a stop, within a second.
        consumer: { groupId, sessionTimeout: 6_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 500 },
        subscribe: { fromBeginning: true },
        commitIntervalMs,
      }),
    delivery,
    patternByTopic: new Map([[topic, 'order.completed']]),
  });
  // Distinct messages: a rebalance restarts a partition at Kafka's committed offset, so one may come again.
  const handledOffsets = new Set<string>();
  const handled = {
    started: 0,
    get messages() {
      return handledOffsets.size;
    },
  };
  server.addHandler(
    'order.completed',
    async (batch: ConsumedBatch) => {
      handled.started += 1;
      await handlerGate;
      for (const { partition, offset } of batch.messages) handledOffsets.add(`${partition}/${offset}`);
      return undefined;
    },
    true,
  );
  runningServers.push(server);
  return { server, groupId, handled, positionsAsked, deadConsumers, release };
}

/** Started, joined, and told no stored positions: every partition consumes from Kafka's committed offset. */
async function consumingFromKafkasOffsets(transport: ReturnType<typeof transportWithHeldPositions>): Promise<void> {
  await new Promise<unknown>((resolve) => void transport.server.listen(resolve));
  await waitFor(() => transport.positionsAsked.count > 0, 30_000, 'the group join to ask for stored positions');
  transport.release([]);
}

describe('the Kafka transport on the real broker', () => {
  let kafka: TestKafka;
  const unhandled: unknown[] = [];
  const recordUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    kafka = await new TestKafka().connect();
    process.on('unhandledRejection', recordUnhandled);
  });

  const publishOrders = (topic: string, count: number) =>
    kafka.publish(
      topic,
      Array.from({ length: count }, () => asMessage(orderCompleted())),
    );

  afterEach(async () => {
    await Promise.all(runningServers.splice(0).map((server) => server.close()));
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

  it('commits the handled offsets to Kafka on its interval and at shutdown, not after every batch', async () => {
    const topic = uniqueName('order.completed.commits');
    await kafka.createTopic(topic, 3);
    const transport = transportWithHeldPositions(topic, 60_000);
    await consumingFromKafkasOffsets(transport);
    for (let round = 0; round < 3; round++) {
      await publishOrders(topic, 10);
      await waitFor(() => transport.handled.messages === 10 * (round + 1), 30_000, `batch ${round + 1} handled`);
    }
    // Handled in several fetches, and nothing committed yet: the interval (60 s) has not come round.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await kafka.committedOffsets(transport.groupId, topic)).toBe(0);

    await transport.server.close();
    expect(await kafka.committedOffsets(transport.groupId, topic)).toBe(30);
  });

  it('commits on its interval while it runs', async () => {
    const topic = uniqueName('order.completed.commit-interval');
    await kafka.createTopic(topic, 3);
    const transport = transportWithHeldPositions(topic, 200);
    await consumingFromKafkasOffsets(transport);
    await publishOrders(topic, 20);
    await waitFor(async () => (await kafka.committedOffsets(transport.groupId, topic)) === 20, 30_000, 'the offsets committed');
    expect(transport.handled.messages).toBe(20);
    await transport.server.close();
  });

  it('consumes again after a rebalance, which holds the partitions until the stored positions are read again', async () => {
    const topic = uniqueName('order.completed.rebalance');
    await kafka.createTopic(topic, 3);
    const transport = transportWithHeldPositions(topic, 200);
    await consumingFromKafkasOffsets(transport);
    await kafka.joinGroupBriefly(transport.groupId, topic);
    await publishOrders(topic, 20);
    await waitFor(async () => (await kafka.committedOffsets(transport.groupId, topic)) === 20, 30_000, 'the offsets committed');
    expect(transport.handled.messages).toBe(20);
    expect(transport.positionsAsked.count).toBeGreaterThanOrEqual(2);
    await transport.server.close();
  });

  it('commits a batch still in flight when it stops, once that batch is handled, before leaving the group', async () => {
    const topic = uniqueName('order.completed.commit-at-stop');
    await kafka.createTopic(topic, 1);
    let open = () => undefined as void;
    const transport = transportWithHeldPositions(topic, 60_000, new Promise<void>((resolve) => (open = resolve)));
    await consumingFromKafkasOffsets(transport);
    await publishOrders(topic, 10);
    await waitFor(() => transport.handled.started > 0, 30_000, 'the batch to reach the handler');

    const closing = transport.server.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    open();
    await closing;
    expect(transport.handled.messages).toBe(10);
    expect(await kafka.committedOffsets(transport.groupId, topic)).toBe(10);
  });
});
