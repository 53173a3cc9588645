import { Abstract, INestApplication, Type } from '@nestjs/common';
import { Test, TestingModuleBuilder } from '@nestjs/testing';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/bootstrap';
import { AppConfig, loadConfig, LoggingConfig } from '../../src/config/configuration';
import { createRootLogger, ROOT_LOGGER } from '../../src/observability/root-logger';
import { capturedLogs } from './captured-logs';
import { BROKERS, uniqueName } from './kafka';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

export interface TestAppOptions {
  databaseUrl: string;
  topic: string;
  groupId?: string;
  env?: Record<string, string>;
  overrides?: { provide: Type | Abstract<unknown>; useClass?: Type; useValue?: unknown }[];
  /** Start the Kafka consumer (default true). */
  consume?: boolean;
}

export function testConfig(options: Pick<TestAppOptions, 'databaseUrl' | 'topic' | 'groupId' | 'env'>): AppConfig {
  return loadConfig({
    DATABASE_URL: options.databaseUrl,
    KAFKA_BROKERS: BROKERS.join(','),
    KAFKA_TOPIC: options.topic,
    // Never the shared invoice.created: each test reads its own announcements.
    OUTBOX_TOPIC: `${options.topic}.invoice-created`,
    KAFKA_GROUP_ID: options.groupId ?? uniqueName('group'),
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    // Lines are captured and printed only when a test fails (test/support/captured-logs.ts).
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    ...options.env,
  });
}

/** The real application, wired as in production, against the test's own database and topic. */
export async function startTestApp(options: TestAppOptions): Promise<{ app: INestApplication; config: AppConfig }> {
  const config = testConfig(options);
  let builder: TestingModuleBuilder = Test.createTestingModule({ imports: [AppModule.forRoot(config)] })
    .overrideProvider(ROOT_LOGGER)
    .useValue(createRootLogger(new LoggingConfig(config.logging.level, 'json'), capturedLogs()));
  for (const override of options.overrides ?? []) {
    const provider = builder.overrideProvider(override.provide);
    builder = override.useClass ? provider.useClass(override.useClass) : provider.useValue(override.useValue);
  }
  const moduleRef = await builder.compile();
  const app = configureApp(moduleRef.createNestApplication({ bufferLogs: true }), config);
  if (options.consume ?? true) await app.startAllMicroservices();
  await app.init();
  return { app, config };
}
