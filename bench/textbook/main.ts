import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions, Transport } from '@nestjs/microservices';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TextbookController } from './textbook.controller';

@Module({
  imports: [TypeOrmModule.forRoot({ type: 'postgres', url: process.env.DATABASE_URL, extra: { max: 20 } })],
  controllers: [TextbookController],
})
class TextbookModule {}

/**
 * The textbook consumer: Nest's stock Kafka transport with its defaults, except that it reads the
 * topic from the beginning and gets the service's partition concurrency and pool size, so the
 * comparison is about the design, not the settings.
 */
async function main(): Promise<void> {
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(TextbookModule, {
    transport: Transport.KAFKA,
    options: {
      client: { clientId: 'bench-textbook', brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',') },
      consumer: { groupId: process.env.KAFKA_GROUP_ID as string },
      subscribe: { fromBeginning: true },
      run: { partitionsConsumedConcurrently: Number(process.env.KAFKA_PARTITIONS_CONCURRENCY ?? 12) },
    },
    logger: ['error', 'warn'],
  });
  app.enableShutdownHooks();
  await app.listen();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
