import { Kafka, logLevel } from 'kafkajs';
import { createTopicsWithLeaders } from '../src/kafka/kafka-topics';
import { TestKafka, uniqueName } from './support/kafka';
import { ProxiedKafka, startPrivateKafkaBehindProxy } from './support/private-kafka';
import { FaultProxy } from './support/standalone/fault-proxy';

describe('creating topics on the real broker', () => {
  let kafka: TestKafka;

  beforeAll(async () => {
    kafka = await new TestKafka().connect();
  });

  afterAll(() => kafka.disconnect());

  it('hands back topics whose every partition takes a write at once, also when many are created together', async () => {
    const topics = Array.from({ length: 24 }, () => uniqueName('topic-creation'));
    await Promise.all(topics.map((topic) => kafka.createTopic(topic, 6)));
    const leaders = await kafka.partitionLeaders(topics);
    expect(leaders.filter((leader) => leader < 0)).toEqual([]);
    expect(leaders).toHaveLength(24 * 6);
    const everyPartition = Array.from({ length: 6 }, (_, partition) => ({ partition, value: 'first write' }));
    await Promise.all(topics.map((topic) => kafka.publish(topic, everyPartition)));
    for (const topic of topics) expect(await kafka.endOffsets(topic)).toBe(6);
  });

  it('leaves an existing topic as it is', async () => {
    const topic = uniqueName('topic-creation');
    await kafka.createTopic(topic, 2);
    await kafka.publish(topic, [{ partition: 1, value: 'kept' }]);
    await kafka.createTopic(topic, 2);
    expect(await kafka.endOffsets(topic)).toBe(1);
  });
});

describe('creating topics while the broker refuses connections (private broker behind a fault proxy)', () => {
  let proxy: FaultProxy;
  let broker: ProxiedKafka;
  let kafka: TestKafka;

  beforeAll(async () => {
    broker = await startPrivateKafkaBehindProxy();
    proxy = broker.proxy;
    kafka = await new TestKafka({ brokers: [`127.0.0.1:${proxy.port}`] }).connect();
  }, 300_000);

  afterAll(async () => {
    await kafka?.disconnect();
    await broker?.stop();
  });

  it('waits for the broker to take connections again instead of failing at the first refused one', async () => {
    const topic = uniqueName('topic-creation');
    proxy.resetAll();
    proxy.refuseNew(true);
    const refusedFor = 2_000;
    const healed = setTimeout(() => proxy.heal(), refusedFor);
    try {
      await kafka.createTopic(topic, 3);
    } finally {
      clearTimeout(healed);
      proxy.heal();
    }
    const leaders = await kafka.partitionLeaders([topic]);
    expect(leaders).toHaveLength(3);
    expect(leaders.filter((leader) => leader < 0)).toEqual([]);
  });

  it("keeps retrying once the client's own retries are spent", async () => {
    const admin = new Kafka({ brokers: [`127.0.0.1:${proxy.port}`], retry: { retries: 0 }, logLevel: logLevel.NOTHING }).admin();
    const topic = uniqueName('topic-creation');
    proxy.refuseNew(true);
    const healed = setTimeout(() => proxy.heal(), 1_000);
    try {
      await admin.connect().catch(() => undefined);
      await createTopicsWithLeaders(admin, [{ topic, numPartitions: 2 }]);
    } finally {
      clearTimeout(healed);
      proxy.heal();
      await admin.disconnect();
    }
    expect(await kafka.partitionLeaders([topic])).toHaveLength(2);
  });
});
