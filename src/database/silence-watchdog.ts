import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';
import { Logger } from 'pino';
import { DatabaseConfig } from '../config/configuration';
import { postgresConnection } from '../config/postgres-tls';
import { ROOT_LOGGER } from '../observability/root-logger';
import { BoundedPgClient } from './bounded-pg-client';

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
 * the session left open. Connections opened before it are dropped too when idle: a failover silences them all.
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
  ) {
    this.logger = root.child({ context: 'Database' });
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
      for (const client of waiting) this.judge(client, working.has(client.backendPid!));
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

  private judge(client: BoundedPgClient, working: boolean): void {
    const waitingSince = client.waitingSince;
    const previous = this.strikes.get(client);
    if (working || waitingSince === undefined) return void this.strikes.delete(client);
    const count = previous?.waitingSince === waitingSince ? previous.count + 1 : 1;
    if (count < STRIKES_TO_DROP) return void this.strikes.set(client, { waitingSince, count });
    this.strikes.delete(client);
    const retired = [...BoundedPgClient.open].filter(
      (other) => other !== client && other.sharesServerWith(client) && other.createdAt <= waitingSince && other.waitingSince === undefined,
    );
    this.logger.warn(
      { backend_pid: client.backendPid, waited_ms: Date.now() - waitingSince, idle_connections_dropped: retired.length },
      'PostgreSQL connection went silent (its backend is not working on the awaited statement); dropped, its work is retried on a new connection',
    );
    client.drop();
    retired.forEach((other) => other.drop());
  }
}

/** The pids among `pids` whose backend is running a statement right now, asked on a connection of its own. */
async function activeBackends(config: DatabaseConfig, pids: number[]): Promise<Set<number>> {
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
    const { rows } = await client.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE pid = ANY($1::int[]) AND state = 'active'`, [pids]);
    return new Set(rows.map((row) => row.pid));
  } finally {
    await client.end().catch(() => undefined);
  }
}
