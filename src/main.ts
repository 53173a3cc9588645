import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp, startApp } from './bootstrap';
import { ConfigValidationError } from './config/env-reader';
import { AppConfig, loadConfig } from './config/configuration';
import { maskDatabaseUrl } from './observability/root-logger';

function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      console.error(error.message);
      process.exit(78);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const app = await createApp(config);
  await startApp(app, config.http.port);
  new Logger('Bootstrap').log({
    msg: `billing-service listening on :${config.http.port}, consuming ${config.kafka.topic}`,
    topic: config.kafka.topic,
    group_id: config.kafka.groupId,
    database: maskDatabaseUrl(config.database.url),
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
