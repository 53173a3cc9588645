import { TestKafka, uniqueName } from './support/kafka';

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
