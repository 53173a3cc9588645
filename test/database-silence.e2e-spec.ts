import pino from 'pino';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { DatabaseConfig } from '../src/config/configuration';
import { BoundedPgClient, SilentConnections } from '../src/database/bounded-pg-client';
import { connectionBounds, dataSourceOptions, serviceSessionOptions } from '../src/database/data-source-options';
import { SilenceWatchdog } from '../src/observability/silence-watchdog';
import { TestDatabase } from './support/fixture';
import { FaultProxy } from './support/standalone/fault-proxy';

/** The service's pool and sessions (DatabaseModule's options), to PostgreSQL through the fault proxy. */
async function serviceDataSource(config: DatabaseConfig): Promise<DataSource> {
  const options = dataSourceOptions(config.url);
  const dataSource = new DataSource({ ...options, extra: { ...(options.extra as object), ...connectionBounds(config), ...serviceSessionOptions(config) } });
  return dataSource.initialize();
}

async function until(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 100));
}

describe('PostgreSQL connections that go silent', () => {
  let db: TestDatabase;
  let proxy: FaultProxy;
  let dataSource: DataSource | undefined;

  beforeAll(async () => {
    db = await TestDatabase.create('silence');
  });

  beforeEach(async () => {
    proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: 5432 }, maxLifetimeMs: 120_000 });
  });

  afterEach(async () => {
    await proxy.close();
    await dataSource?.destroy().catch(() => undefined);
    dataSource = undefined;
  });

  afterAll(async () => {
    await db.drop();
  });

  const proxiedUrl = () => db.url.replace(':5432/', `:${proxy.port}/`);
  const bounded = (overrides: { queryTimeoutMs: number; silenceCheckAfterMs?: number; idleInTransactionTimeoutMs?: number }) =>
    new DatabaseConfig({
      url: proxiedUrl(),
      statementTimeoutMs: Math.min(1_000, overrides.queryTimeoutMs - 100),
      lockTimeoutMs: 500,
      queryTimeoutMs: overrides.queryTimeoutMs,
      connectTimeoutMs: 5_000,
      keepAliveInitialDelayMs: 10_000,
      idleInTransactionTimeoutMs: overrides.idleInTransactionTimeoutMs ?? 60_000,
      silenceCheckAfterMs: overrides.silenceCheckAfterMs ?? 0,
    });

  it("the service's sessions carry its bounds and run without JIT", async () => {
    dataSource = await serviceDataSource(bounded({ queryTimeoutMs: 1_500 }));
    const [settings] = await dataSource.query<{ jit: string; statement_timeout: string; lock_timeout: string }[]>(
      `SELECT current_setting('jit') AS jit, current_setting('statement_timeout') AS statement_timeout, current_setting('lock_timeout') AS lock_timeout`,
    );
    expect(settings).toEqual({ jit: 'off', statement_timeout: '1s', lock_timeout: '500ms' });
  });

  it('a statement unanswered past the query timeout fails, and its connection is dropped rather than pooled again', async () => {
    dataSource = await serviceDataSource(bounded({ queryTimeoutMs: 1_500 }));
    await dataSource.query('SELECT 1');
    proxy.silenceExisting();
    await expect(dataSource.query('SELECT 2')).rejects.toThrow('Query read timeout');
    // The pool's only connection was the silent one: on node-postgres alone the pool hands it out again and this times out too.
    await expect(dataSource.query('SELECT 3 AS n')).resolves.toEqual([{ n: 3 }]);
  });

  it('a transaction on a silent connection is abandoned; the server rolls it back and frees its locks', async () => {
    dataSource = await serviceDataSource(bounded({ queryTimeoutMs: 1_500, idleInTransactionTimeoutMs: 1_000 }));
    const lockKey = 7_423_001;
    const transaction = dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [lockKey]);
      await manager.query(`INSERT INTO processed_events (event_id, fingerprint) VALUES (gen_random_uuid(), repeat('0', 64))`);
      proxy.silenceExisting();
      await manager.query('SELECT 1');
    });
    await expect(transaction).rejects.toThrow('Query read timeout');
    const direct = new Client({ connectionString: db.url });
    await direct.connect();
    try {
      await until(async () => (await direct.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [lockKey])).rows[0].ok);
      await direct.query('SELECT pg_advisory_unlock($1)', [lockKey]);
    } finally {
      await direct.end();
    }
    expect(await db.count('processed_events')).toBe(0);
    await expect(dataSource.query('SELECT 1 AS n')).resolves.toEqual([{ n: 1 }]);
  });

  it('the watchdog drops a connection whose backend is idle long before the query timeout, and the idle ones opened before it, and ends their sessions', async () => {
    const config = bounded({ queryTimeoutMs: 120_000, silenceCheckAfterMs: 300 });
    dataSource = await serviceDataSource(config);
    await Promise.all([dataSource.query('SELECT pg_sleep(0.2)'), dataSource.query('SELECT pg_sleep(0.2)')]);
    const watchdog = new SilenceWatchdog(config, pino({ enabled: false }));
    const droppedBefore = SilentConnections.total();
    const pooled = [...BoundedPgClient.open].filter((client) => client.port === proxy.port);
    expect(pooled.length).toBeGreaterThan(0);
    proxy.silenceExisting();
    const stalled = dataSource.query('SELECT 1');
    stalled.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 400));
    while (SilentConnections.total() === droppedBefore) {
      await watchdog.check();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await expect(stalled).rejects.toThrow(/Connection terminated/);
    await until(() => Promise.resolve(pooled.every((client) => !BoundedPgClient.open.has(client))));
    // The server still held those sessions (the proxy keeps them open): the watchdog ended them, not a timeout.
    const pids = pooled.map((client) => client.backendPid);
    await until(async () => (await db.query('SELECT pid FROM pg_stat_activity WHERE pid = ANY($1::int[])', [pids])).length === 0);
    await expect(dataSource.query('SELECT 4 AS n')).resolves.toEqual([{ n: 4 }]);
  });

  it('the watchdog leaves alone a connection whose statement the server is running', async () => {
    const config = bounded({ queryTimeoutMs: 120_000, silenceCheckAfterMs: 100 });
    dataSource = await serviceDataSource(config);
    const watchdog = new SilenceWatchdog(config, pino({ enabled: false }));
    const droppedBefore = SilentConnections.total();
    const slow = dataSource.query(`SELECT pg_sleep(0.8), 'done' AS r`);
    const checks: Promise<void>[] = [];
    const timer = setInterval(() => checks.push(watchdog.check()), 150);
    try {
      await expect(slow).resolves.toEqual([{ pg_sleep: '', r: 'done' }]);
    } finally {
      clearInterval(timer);
      await Promise.all(checks);
    }
    expect(SilentConnections.total()).toBe(droppedBefore);
  });
});
