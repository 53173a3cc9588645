import type { Admin, KafkaMessage } from 'kafkajs';
import { kafkaClient } from '../../infra/chaos.ts';
import { sleep } from '../../infra/common.ts';

/** Reads a topic from the beginning up to its current end offsets, handing each message on; [] when it is empty. */
export async function readWholeTopic(
  admin: Admin,
  topic: string,
  { clientId, timeoutMs }: { clientId: string; timeoutMs: number },
  onMessage: (partition: number, message: KafkaMessage) => void,
): Promise<void> {
  const ends = await admin.fetchTopicOffsets(topic);
  const pending = new Map(ends.filter((p) => Number(p.high) > Number(p.low)).map((p) => [p.partition, Number(p.high)]));
  if (pending.size === 0) return;
  const consumer = kafkaClient(clientId).consumer({ groupId: `${clientId}-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: ({ partition, message }) => {
        onMessage(partition, message);
        const end = pending.get(partition);
        if (end !== undefined && Number(message.offset) + 1 >= end) pending.delete(partition);
        if (pending.size === 0) resolve();
        return Promise.resolve();
      },
    });
  });
  await Promise.race([done, sleep(timeoutMs)]);
  await consumer.disconnect();
  if (pending.size > 0) throw new Error(`could not read the whole ${topic} within ${timeoutMs / 1000} s`);
}
