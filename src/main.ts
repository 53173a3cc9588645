import 'reflect-metadata';
import type { Logger } from 'pino';
import { ConfigValidationError } from './config/env-reader';
import { AppConfig, loadConfig } from './config/configuration';
import type { ExtensionPoints } from './extension-points.module';
import { ProcessWarnings } from './observability/process-warnings';
import { createRootLogger, ROOT_LOGGER } from './observability/root-logger';
import { startTracing } from './tracing/tracing-sdk';
import { BootFailure } from './transport-security/boot-failure';

/** EX_CONFIG: a setting is wrong; restarting the process as it is cannot help. */
const CONFIG_EXIT_CODE = 78;

/**
 * Runs the service: `node dist/src/main.js`. Another entry point (the tests' faulty-service.ts) requires this file and
 * calls it with its extensions.
 */
export function serve(extensions: ExtensionPoints = {}): void {
  const warnings = ProcessWarnings.capture();
  let config: AppConfig | undefined;

  /** A boot that fails before the app's logger exists still writes JSON (or the configured format, once known). */
  const bootLogger = (): Logger => {
    const logger = createRootLogger(config?.logging ?? { level: 'info', format: 'json' }).child({ context: 'Bootstrap' });
    warnings.logTo(logger);
    return logger;
  };

  const loadConfigOrExit = (): AppConfig => {
    try {
      return loadConfig(process.env);
    } catch (error) {
      if (error instanceof ConfigValidationError) {
        bootLogger().fatal({ problems: error.problems }, 'billing-service cannot start: invalid configuration');
        process.exit(CONFIG_EXIT_CODE);
      }
      throw error;
    }
  };

  const main = async (): Promise<void> => {
    config = loadConfigOrExit();
    // The instrumentations patch pg and http as they are loaded, so the service's modules load only after this.
    const tracingSdk = await startTracing(config.tracing);
    const { runService } = await import('./bootstrap');
    const app = await runService(config, tracingSdk, extensions);
    warnings.logTo(app.get<Logger>(ROOT_LOGGER));
  };

  main().catch((error: unknown) => {
    if (error instanceof BootFailure) {
      bootLogger().fatal(`billing-service cannot start: ${error.message}`);
      process.exit(CONFIG_EXIT_CODE);
    }
    bootLogger().fatal({ err: error }, 'billing-service cannot start');
    process.exit(1);
  });
}

if (require.main === module) serve();
