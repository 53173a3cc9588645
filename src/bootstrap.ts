import { Server } from 'node:http';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import type { Logger as PinoLogger } from 'pino';
import { AppModule } from './app.module';
import { AppConfig } from './config/configuration';
import { ExtensionPoints } from './extension-points.module';
import { ConsumerHealth } from './health/consumer-health';
import { answerMalformedRequests } from './http/malformed-requests';
import { setupOpenApi } from './http/openapi';
import { KafkaLogging } from './observability/logging.module';
import { ConsumerOffsets } from './consumer-offsets/consumer-offsets.service';
import { DeliveryOptions } from './order-events/billing-kafka.server';
import { ConsumerSupervisor } from './order-events/consumer-supervisor';
import { createKafkaServer } from './order-events/kafka-server.factory';
import { TransientFaultRetrier } from './order-events/transient-fault.retrier';
import { BootNestLogger } from './observability/boot-nest-logger';
import { createRootLogger, maskDatabaseUrl, ROOT_LOGGER } from './observability/root-logger';
import { Tracing } from './tracing/tracing';
import { UndecodablePartitions } from './observability/undecodable-partitions';
import { TracingSdk } from './tracing/tracing-sdk';
import { checkConnections } from './transport-security/connection-preflight';

export async function createApp(config: AppConfig, tracingSdk?: TracingSdk, extensions?: ExtensionPoints): Promise<INestApplication> {
  // A failed start is rethrown to main.ts for its fatal line (Nest logs the error once before, as JSON too); by default
  // Nest would print text and exit by itself.
  const app = await NestFactory.create(AppModule.forRoot(config, tracingSdk, extensions), {
    bufferLogs: true,
    abortOnError: false,
    logger: new BootNestLogger(createRootLogger(config.logging)),
  });
  return configureApp(app, config);
}

/** Attaches the Kafka consumer and app-wide settings; main.ts and the e2e tests share it. */
export function configureApp(app: INestApplication, config: AppConfig): INestApplication {
  app.useLogger(app.get(Logger));
  const supervisor = app.get(ConsumerSupervisor);
  const offsets = app.get(ConsumerOffsets);
  // A consumer restarted after a refused login is a new kafkajs consumer on the same server.
  const restart = () =>
    new Promise<void>(
      (resolve, reject) =>
        void kafkaServer.listen((error) => (error ? reject(error instanceof Error ? error : new Error('the Kafka consumer did not restart')) : resolve())),
    );
  const delivery: DeliveryOptions = {
    retrier: app.get(TransientFaultRetrier),
    resumePositions: (assignment, logStart, stopping) => offsets.positionsFor(assignment, logStart, stopping),
    onConsumerDead: (error: Error) => supervisor.consumerDied(error, restart),
    tracing: app.get(Tracing),
    passedOver: (topic, partition, lastOffset) => offsets.passOver(topic, partition, lastOffset),
    storePassedOver: () => offsets.storePassedOver(),
    undecodable: app.get(UndecodablePartitions),
  };
  const kafkaLogging = app.get(KafkaLogging);
  const kafkaServer = createKafkaServer(config.kafka, delivery, kafkaLogging);
  app.connectMicroservice({ strategy: kafkaServer }, { inheritAppConfig: true });
  app.get(ConsumerHealth).track(kafkaServer.status);
  setupOpenApi(app, config.auth);
  answerMalformedRequests(app.getHttpServer() as Server);
  // On SIGTERM Nest closes HTTP, then the consumer (stops fetching, awaits the batches in flight, commits,
  // leaves the group), and only then runs the shutdown hooks that close the DLT producer and the database.
  // useProcessExit ends with exit code 0 instead of re-raising the signal.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  return app;
}

export async function startApp(app: INestApplication, port: number): Promise<void> {
  await app.startAllMicroservices();
  await app.listen(port, '0.0.0.0');
}

/** main.ts after the tracing SDK has started: everything that loads pg, kafkajs, http and Nest is reached from here. */
export async function runService(config: AppConfig, tracingSdk?: TracingSdk, extensions?: ExtensionPoints): Promise<INestApplication> {
  await checkConnections(config.database, config.kafka);
  const app = await createApp(config, tracingSdk, extensions);
  await startApp(app, config.http.port);
  app
    .get<PinoLogger>(ROOT_LOGGER)
    .child({ context: 'Bootstrap' })
    .info(
      {
        topic: config.kafka.topic,
        group_id: config.kafka.groupId,
        database: maskDatabaseUrl(config.database.url),
        tracing: config.tracing.enabled ? 'otlp' : 'off',
      },
      `billing-service listening on :${config.http.port}, consuming ${config.kafka.topic}`,
    );
  return app;
}
