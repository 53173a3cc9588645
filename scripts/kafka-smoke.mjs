// Checks the local broker end to end: create a 3-partition topic, produce, consume. Usage: node scripts/kafka-smoke.mjs
import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';

const { Kafka, logLevel, Partitioners } = kafkajs;
const kafka = new Kafka({
  clientId: 'kafka-smoke',
  brokers: (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(','),
  logLevel: logLevel.WARN,
});
const topic = `smoke.${randomUUID()}`;
const value = `hello ${new Date().toISOString()}`;
const t0 = Date.now();
const ms = () => `${Date.now() - t0}ms`;

const admin = kafka.admin();
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
const consumer = kafka.consumer({ groupId: `smoke-${randomUUID()}` });
try {
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
  console.log(`created ${topic} with ${meta.partitions.length} partitions (${ms()})`);

  await producer.connect();
  const [sent] = await producer.send({ topic, messages: [{ key: 'order-1', value }] });
  console.log(`produced to partition ${sent.partition} offset ${sent.baseOffset} (${ms()})`);

  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const received = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no message within 30s')), 30_000);
    consumer.run({ eachMessage: async ({ message, partition }) => (clearTimeout(timer), resolve({ partition, value: message.value.toString() })) }).catch(reject);
  });
  if (received.value !== value) throw new Error(`got ${received.value}, expected ${value}`);
  console.log(`consumed from partition ${received.partition}: "${received.value}" (${ms()})`);
  console.log('kafka smoke test: OK');
} finally {
  // Consumer first: deleting the topic under a running fetch makes kafkajs log errors.
  await Promise.allSettled([consumer.disconnect(), producer.disconnect()]);
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.disconnect();
}
