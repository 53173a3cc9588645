// The one test fixture of the e2e tests and the bench: a database of its own, topics of its own, the application
// in this process or the built service in its own, their logs captured, and everything removed by close().
// The chaos suite runs the built service through ./standalone/service-process.ts, which plain Node can import.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Abstract, INestApplication, Type } from '@nestjs/common';
import { Test, TestingModuleBuilder } from '@nestjs/testing';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/bootstrap';
import { AppConfig, loadConfig, LoggingConfig } from '../../src/config/configuration';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { ENTITIES } from '../../src/entities';
import { createRootLogger, ROOT_LOGGER } from '../../src/observability/root-logger';
import { capturedLogs } from './captured-logs';
import { BROKERS, TestKafka, uniqueName } from './kafka';
import { freePort, SERVICE_MAIN, ServiceProcess, ServiceProcessOptions } from './standalone/service-process';

/** The repository root, from test/support or, compiled for the bench, from dist/test/support. */
export const ROOT = (function root(dir: string): string {
  return existsSync(join(dir, 'package-lock.json')) ? dir : root(dirname(dir));
})(__dirname);
export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';
const ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

// ---------- the database ----------

/** A database of its own per test file, migrated like production, so files can run in any order or in parallel. */
export class TestDatabase {
  /** The application_name of its own connections, so pg_stat_activity tells them from the service's (bench/support.ts). */
  static readonly APPLICATION_NAME = 'billing-test-fixture';

  private constructor(
    readonly name: string,
    readonly url: string,
    readonly dataSource: DataSource,
  ) {}

  /** `before` is SQL run on the new database before the migrations, e.g. a schema an older release left. */
  static async create(label: string, before?: string): Promise<TestDatabase> {
    const name = `billing_t_${label.replace(/\W/g, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
    await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}"`));
    const url = ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
    if (before) await withClient(url, (client) => client.query(before));
    const dataSource = new DataSource(dataSourceOptions(`${url}?application_name=${TestDatabase.APPLICATION_NAME}`, ENTITIES));
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'all' });
    return new TestDatabase(name, url, dataSource);
  }

  query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.dataSource.query(sql, params);
  }

  /** invoice_outbox_pending: the outbox rows the relay's cursor has not passed yet. */
  async count(table: 'invoices' | 'processed_events' | 'invoice_outbox' | 'invoice_outbox_pending', where = 'true', params: unknown[] = []): Promise<number> {
    const rows = await this.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table} WHERE ${where}`, params);
    return Number(rows[0].n);
  }

  /** Outbox rows the relay has published (its cursor has passed them). */
  countPublished(where = 'true', params: unknown[] = []): Promise<number> {
    return this.count('invoice_outbox', `NOT EXISTS (SELECT 1 FROM invoice_outbox_pending p WHERE p.id = invoice_outbox.id) AND (${where})`, params);
  }

  /** Moves the relay cursor past every outbox row, as a relay that published them all would. */
  async markAllAnnounced(): Promise<void> {
    await this.query(`UPDATE invoice_outbox_cursor SET (insert_xid, id) = (SELECT insert_xid, id FROM invoice_outbox ORDER BY insert_xid DESC, id DESC LIMIT 1)
                      WHERE EXISTS (SELECT 1 FROM invoice_outbox)`);
  }

  async truncate(): Promise<void> {
    await this.query('TRUNCATE invoices, processed_events, invoice_outbox');
  }

  /** Makes the database refuse all work, as an outage would, without touching other tests' databases. */
  async cutOff(): Promise<void> {
    await withAdmin(async (admin) => {
      await admin.query(`ALTER DATABASE "${this.name}" ALLOW_CONNECTIONS false`);
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [this.name]);
    });
  }

  async restore(): Promise<void> {
    await withAdmin((admin) => admin.query(`ALTER DATABASE "${this.name}" ALLOW_CONNECTIONS true`));
  }

  async drop(): Promise<void> {
    await this.dataSource.destroy().catch(() => undefined);
    await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${this.name}" WITH (FORCE)`));
  }
}

function withAdmin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  return withClient(ADMIN_URL, work);
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

// ---------- the application in this process ----------

export interface TestAppOptions {
  databaseUrl: string;
  topic: string;
  groupId?: string;
  env?: Record<string, string>;
  overrides?: { provide: Type | Abstract<unknown>; useClass?: Type; useValue?: unknown }[];
  /** Start the Kafka consumer (default true). */
  consume?: boolean;
  /** Where its log lines go: kept for a failing test to print (default), or stdout (the bench has no test to fail). */
  logs?: 'captured' | 'stdout';
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
  const destination = (options.logs ?? 'captured') === 'captured' ? capturedLogs() : undefined;
  let builder: TestingModuleBuilder = Test.createTestingModule({ imports: [AppModule.forRoot(config)] })
    .overrideProvider(ROOT_LOGGER)
    .useValue(createRootLogger(new LoggingConfig({ level: config.logging.level, format: 'json' }), destination));
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

// ---------- the built service ----------

/** The built service is what production runs; jest's global setup builds it once for every worker. */
export function buildService(): void {
  if (!existsSync(join(ROOT, SERVICE_MAIN))) throw new Error(`${SERVICE_MAIN} is missing: run the integration tests through jest (its global setup builds)`);
}

/** A new file under the OS temp directory for a process's output. */
export function tempLogFile(label: string): string {
  return join(tmpdir(), `${uniqueName(`billing-${label}`)}.log`);
}

/** The built service in its own process (dist/src/main.js unless `script`), run from the repository root. */
export function spawnService(options: Omit<ServiceProcessOptions, 'cwd'>): ServiceProcess {
  return new ServiceProcess({ cwd: ROOT, ...options });
}

// ---------- one test file's resources ----------

/** What one test file sets up, on the shared broker and PostgreSQL; close() removes all of it. */
export class Fixture {
  readonly apps: INestApplication[] = [];
  readonly services: ServiceProcess[] = [];

  private constructor(
    readonly db: TestDatabase,
    readonly kafka: TestKafka,
  ) {}

  /** build: the tests spawn the built service (startService). */
  static async create(label: string, options: { build?: boolean } = {}): Promise<Fixture> {
    if (options.build) buildService();
    const db = await TestDatabase.create(label);
    return new Fixture(db, await new TestKafka().connect());
  }

  /** A new topic named after `prefix`, with its dead-letter topic. */
  async topic(prefix: string, partitions: number): Promise<string> {
    const topic = uniqueName(prefix);
    await this.kafka.createTopic(topic, partitions);
    await this.kafka.createTopic(`${topic}.dlt`, 1);
    return topic;
  }

  /** The application in this process on this fixture's database; closed by closeApps() or close(). */
  async startApp(options: Omit<TestAppOptions, 'databaseUrl'>): Promise<INestApplication> {
    const { app } = await startTestApp({ databaseUrl: this.db.url, ...options });
    this.apps.push(app);
    return app;
  }

  async stopApp(app: INestApplication): Promise<void> {
    this.apps.splice(this.apps.indexOf(app), 1);
    await app.close();
  }

  async closeApps(): Promise<void> {
    await Promise.all(this.apps.splice(0).map((app) => app.close()));
  }

  /**
   * The built service in its own process on this fixture's database, JSON logs kept in its `lines`; `env` adds to
   * (or overrides) the defaults. A service that is meant to kill itself is not waited for: it may die before it listens.
   * script: another entry point, such as FAULTY_SERVICE (the crash hooks).
   */
  async startService(env: Record<string, string>, options: { waitUntilReady?: boolean; script?: string } = {}): Promise<ServiceProcess> {
    const service = spawnService({
      script: options.script,
      env: {
        DATABASE_URL: this.db.url,
        KAFKA_BROKERS: BROKERS.join(','),
        AUTH_JWT_SECRET: TEST_JWT_SECRET,
        PORT: String(await freePort()),
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'info',
        ...env,
      },
    });
    this.services.push(service);
    if (options.waitUntilReady ?? true) await service.ready();
    return service;
  }

  async close(): Promise<void> {
    this.services.forEach((service) => service.kill());
    await this.closeApps();
    await this.kafka.disconnect();
    await this.db.drop();
  }
}
