import { Kafka, logLevel } from 'kafkajs';

/**
 * The consume limit: a kafkajs consumer that does nothing per message, with the service's
 * partition concurrency. Prints one JSON line when it has seen BENCH_EXPECTED messages.
 */
async function main(): Promise<void> {
  const expected = Number(process.env.BENCH_EXPECTED);
  const kafka = new Kafka({ clientId: 'bench-raw', brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: process.env.KAFKA_GROUP_ID as string });
  await consumer.connect();
  await consumer.subscribe({ topic: process.env.KAFKA_TOPIC as string, fromBeginning: true });
  let seen = 0;
  let first = 0;
  await new Promise<void>((resolve) => {
    void consumer.run({
      partitionsConsumedConcurrently: Number(process.env.KAFKA_PARTITIONS_CONCURRENCY ?? 12),
      eachMessage: () => {
        if (seen++ === 0) first = performance.now();
        if (seen === expected) resolve();
        return Promise.resolve();
      },
    });
  });
  const seconds = (performance.now() - first) / 1000;
  process.stdout.write(`${JSON.stringify({ events: expected, seconds, perSecond: expected / seconds })}\n`);
  await consumer.disconnect();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
