import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { Counter } from 'prom-client';
import { Client, QueryResultRow } from 'pg';
import { Logger } from 'pino';
import { DatabaseConfig } from '../config/configuration';
import { postgresConnection } from '../config/postgres-tls';
import { BillingMetrics } from './billing-metrics';
import { ROOT_LOGGER } from './root-logger';
import { BoundedPgClient, SilentConnections } from '../database/bounded-pg-client';

const CHECK_EVERY_MS = 1_000;
/** Probes that must find a backend not working on the awaited statement before its connection is dropped. */
const STRIKES_TO_DROP = 2;

interface Strike {
  waitingSince: number;
  count: number;
}

/**
 * Finds connections that went silent long before DATABASE_QUERY_TIMEOUT_MS would: when a connection has awaited an
 * answer for DATABASE_SILENCE_CHECK_AFTER_MS, a fresh connection asks PostgreSQL whether that session's backend is
 * working on a statement. A backend that is idle (the statement never arrived, or its answer was lost) or gone (a
 * failover to another server), on two probes a second apart while the same wait goes on, means the connection is
 * silent: it is dropped, its transaction fails and is retried on a new connection, and the server rolls back what
 * the session left open (it is ended at once when the server still holds it). Connections opened before it are
 * dropped too when they rest in the pool: a failover silences them all. One lent out is left to its own statements.
 * A probe that itself fails proves nothing; the query timeout remains the backstop.
 */
@Injectable()
export class SilenceWatchdog implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger: Logger;
  private readonly strikes = new Map<BoundedPgClient, Strike>();
  private timer?: NodeJS.Timeout;
  private probing = false;
  private suspects = 0;

  constructor(
    private readonly config: DatabaseConfig,
    @Inject(ROOT_LOGGER) root: Logger,
    @Optional() metrics?: BillingMetrics,
  ) {
    this.logger = root.child({ context: 'Database' });
    if (metrics) registerDroppedCounter(metrics);
  }

  onApplicationBootstrap(): void {
    if (this.config.silenceCheckAfterMs > 0) this.timer = setInterval(() => void this.check(), CHECK_EVERY_MS).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Connections that await an answer the server is not working on, not yet dropped. */
  suspected(): number {
    return this.suspects;
  }

  async check(now = Date.now()): Promise<void> {
    if (this.probing) return;
    const waiting = [...BoundedPgClient.open].filter((c) => c.backendPid !== undefined && now - (c.waitingSince ?? now) >= this.config.silenceCheckAfterMs);
    for (const client of this.strikes.keys()) if (!waiting.includes(client)) this.strikes.delete(client);
    this.suspects = this.strikes.size;
    if (waiting.length === 0) return;
    this.probing = true;
    try {
      const working = await this.probe(waiting.map((c) => c.backendPid!));
      const silent = waiting.filter((client) => this.judge(client, working.has(client.backendPid!)));
      if (silent.length > 0) await this.drop(silent);
    } catch (error) {
      this.logger.debug({ error: (error as Error).message }, 'silent-connection probe failed; the query timeout still bounds the wait');
    } finally {
      this.probing = false;
      this.suspects = this.strikes.size;
    }
  }

  /** The pids among `pids` whose backend is running a statement right now. */
  protected probe(pids: number[]): Promise<Set<number>> {
    return activeBackends(this.config, pids);
  }

  /** Ends the server sessions of dropped connections, unless they turned out to be working: their locks go now. */
  protected terminate(pids: number[]): Promise<void> {
    return endIdleBackends(this.config, pids);
  }

  /** True when `client` is silent: the second probe in a row that finds its backend idle during the same wait. */
  private judge(client: BoundedPgClient, working: boolean): boolean {
    const waitingSince = client.waitingSince;
    const previous = this.strikes.get(client);
    if (working || waitingSince === undefined) {
      this.strikes.delete(client);
      return false;
    }
    const count = previous?.waitingSince === waitingSince ? previous.count + 1 : 1;
    this.strikes.set(client, { waitingSince, count });
    return count >= STRIKES_TO_DROP;
  }

  private async drop(silent: BoundedPgClient[]): Promise<void> {
    const oldestWait = Math.max(...silent.map((c) => c.waitingSince ?? 0));
    // Only connections resting in the pool (or outside one): one lent out between statements may hold a transaction
    // and its locks (an outbox round awaiting the broker, a purge), and its own next statement judges it.
    const retired = [...BoundedPgClient.open].filter(
      (other) =>
        !silent.includes(other) &&
        silent.some((c) => other.sharesServerWith(c)) &&
        other.createdAt <= oldestWait &&
        other.waitingSince === undefined &&
        !other.checkedOut,
    );
    const dropped = [...silent, ...retired];
    const alive = new Set([...BoundedPgClient.open].filter((c) => !dropped.includes(c)).map((c) => c.backendPid));
    // A pid a live connection of ours holds (after a failover, on the other server) is never ended.
    const pids = dropped.map((c) => c.backendPid).filter((pid): pid is number => pid !== undefined && !alive.has(pid));
    for (const client of silent) {
      this.strikes.delete(client);
      this.logger.warn(
        { backend_pid: client.backendPid, waited_ms: Date.now() - (client.waitingSince ?? Date.now()), idle_connections_dropped: retired.length },
        'PostgreSQL connection went silent (its backend is not working on the awaited statement); dropped, its work is retried on a new connection',
      );
    }
    dropped.forEach((c) => c.drop());
    // Without this a session the server still holds (a partition, not a failover) keeps its transaction's locks until
    // DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS, and the retry of its work waits on them.
    await this.terminate(pids).catch((error: unknown) =>
      this.logger.warn({ error: (error as Error).message }, 'sessions of silent connections not ended; the server ends them after its idle timeouts'),
    );
  }
}

/** Read from the drops at each scrape. */
function registerDroppedCounter(metrics: BillingMetrics): void {
  new Counter({
    name: 'billing_database_silent_connections_dropped_total',
    help: 'PostgreSQL connections dropped because they went silent (no answer, no reset): found by the silence check or the query timeout',
    registers: [metrics.registry],
    collect() {
      this.reset();
      this.inc(SilentConnections.total());
    },
  });
}

/** The pids among `pids` whose backend is running a statement right now, asked on a connection of its own. */
async function activeBackends(config: DatabaseConfig, pids: number[]): Promise<Set<number>> {
  const rows = await onFreshConnection<{ pid: number }>(config, `SELECT pid FROM pg_stat_activity WHERE pid = ANY($1::int[]) AND state = 'active'`, pids);
  return new Set(rows.map((row) => row.pid));
}

/** Only sessions of this role and database that are not running a statement: after a failover a pid may name a stranger. */
async function endIdleBackends(config: DatabaseConfig, pids: number[]): Promise<void> {
  if (pids.length === 0) return;
  await onFreshConnection(
    config,
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE pid = ANY($1::int[]) AND state <> 'active' AND usename = current_user AND datname = current_database()`,
    pids,
  );
}

async function onFreshConnection<T extends QueryResultRow>(config: DatabaseConfig, sql: string, pids: number[]): Promise<T[]> {
  const { url, ssl } = postgresConnection(config.url);
  const timeoutMs = Math.min(config.connectTimeoutMs, 5_000);
  const client = new Client({
    connectionString: url,
    ssl,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    application_name: 'billing-silence-probe',
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.query<T>(sql, [pids])).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}
