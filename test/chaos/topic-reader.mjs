import { kafkaClient } from '../../infra/chaos.ts';
import { sleep } from '../../infra/common.ts';

/** Reads a topic from the beginning up to its current end offsets, handing each message on; [] when it is empty. */
export async function readWholeTopic(admin, topic, { clientId, timeoutMs }, onMessage) {
  const ends = await admin.fetchTopicOffsets(topic);
  const pending = new Map(ends.filter((p) => Number(p.high) > Number(p.low)).map((p) => [p.partition, Number(p.high)]));
  if (pending.size === 0) return;
  const consumer = kafkaClient(clientId).consumer({ groupId: `${clientId}-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const done = new Promise((resolve) => {
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        onMessage(partition, message);
        if (Number(message.offset) + 1 >= pending.get(partition)) pending.delete(partition);
        if (pending.size === 0) resolve();
      },
    });
  });
  await Promise.race([done, sleep(timeoutMs)]);
  await consumer.disconnect();
  if (pending.size > 0) throw new Error(`could not read the whole ${topic} within ${timeoutMs / 1000} s`);
}
