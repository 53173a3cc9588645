import 'reflect-metadata';
import { ConfigValidationError } from './config/env-reader';
import { AppConfig, loadConfig } from './config/configuration';
import { startTracing } from './tracing/tracing-sdk';
import { BootFailure } from './transport-security/boot-failure';

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
  // The instrumentations patch pg and http as they are loaded, so the service's modules load only after this.
  const tracingSdk = await startTracing(config.tracing);
  const { runService } = await import('./bootstrap');
  await runService(config, tracingSdk);
}

main().catch((error: unknown) => {
  if (error instanceof BootFailure) {
    console.error(`billing-service cannot start: ${error.message}`);
    process.exit(CONFIG_EXIT_CODE);
  }
  console.error(error);
  process.exit(1);
});
