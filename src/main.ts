import 'reflect-metadata';
import { Logger } from 'pino';
import { createApp, startApp } from './bootstrap';
import { ConfigValidationError } from './config/env-reader';
import { AppConfig, loadConfig } from './config/configuration';
import { maskDatabaseUrl, ROOT_LOGGER } from './observability/root-logger';
import { BootFailure } from './transport-security/boot-failure';
import { checkConnections } from './transport-security/connection-preflight';

/** EX_CONFIG: a setting is wrong; restarting the process as it is cannot help. */
const CONFIG_EXIT_CODE = 78;

function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      console.error(error.message);
      process.exit(CONFIG_EXIT_CODE);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  await checkConnections(config.database, config.kafka);
  const app = await createApp(config);
  await startApp(app, config.http.port);
  app.get<Logger>(ROOT_LOGGER).child({ context: 'Bootstrap' }).info(
    { topic: config.kafka.topic, group_id: config.kafka.groupId, database: maskDatabaseUrl(config.database.url) },
    `billing-service listening on :${config.http.port}, consuming ${config.kafka.topic}`,
  );
}

main().catch((error: unknown) => {
  if (error instanceof BootFailure) {
    console.error(`billing-service cannot start: ${error.message}`);
    process.exit(CONFIG_EXIT_CODE);
  }
  console.error(error);
  process.exit(1);
});
