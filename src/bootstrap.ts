import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { AppConfig } from './config/configuration';
import { createKafkaServer } from './order-events/kafka-server.factory';

export async function createApp(config: AppConfig): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(config), { bufferLogs: true });
  return configureApp(app, config);
}

/** Attaches the Kafka consumer and app-wide settings; main.ts and the e2e tests share it. */
export function configureApp(app: INestApplication, config: AppConfig): INestApplication {
  app.connectMicroservice({ strategy: createKafkaServer(config.kafka) }, { inheritAppConfig: true });
  app.enableShutdownHooks();
  return app;
}

export async function startApp(app: INestApplication, port: number): Promise<void> {
  await app.startAllMicroservices();
  await app.listen(port, '0.0.0.0');
}
