import { join } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { DatabaseConfig, defaultDatabaseConfig } from '../config/configuration';
import { postgresConnection } from '../config/postgres-tls';
import { BoundedPgClient } from './bounded-pg-client';

/** What every connection carries, the migrations' and the CLIs' too: a bounded connect, TCP keepalive. */
const CONNECTION_DEFAULTS = defaultDatabaseConfig('');

/**
 * The service's own sessions: the server cuts slow statements and lock waits, and ends a session left idle inside a
 * transaction (a client gone silent), which rolls it back and frees its locks; the client gives up on a statement
 * unanswered for longer than the server would let it run, and drops that connection (BoundedPgClient). No JIT: the
 * service's statements are short, and the relay's backlog count (a range from its cursor, which the planner cannot
 * see is near the end) was estimated at millions of rows and compiled for 20-220 ms each time it ran (issue #25).
 * A DATABASE_URL that sets `options` itself keeps its own.
 */
export function serviceSessionOptions(config: DatabaseConfig) {
  return {
    statement_timeout: config.statementTimeoutMs,
    lock_timeout: config.lockTimeoutMs,
    idle_in_transaction_session_timeout: config.idleInTransactionTimeoutMs,
    query_timeout: config.queryTimeoutMs,
    options: '-c jit=off',
  };
}

/** TCP-level bounds of a connection: how long opening one may take, and keepalive probes on an idle one. */
export function connectionBounds(config: DatabaseConfig = CONNECTION_DEFAULTS) {
  return {
    Client: BoundedPgClient,
    connectionTimeoutMillis: config.connectTimeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: config.keepAliveInitialDelayMs,
  };
}

/**
 * The service, the migrations and the CLIs all connect through this, so DATABASE_URL's sslmode means the same everywhere.
 * entities: none for raw SQL; the app registers each feature's own (TypeOrmModule.forFeature), the migration CLI and
 * the tests pass src/entities.ts.
 */
export function dataSourceOptions(databaseUrl: string, entities: NonNullable<DataSourceOptions['entities']> = []): DataSourceOptions {
  const { url, ssl } = postgresConnection(databaseUrl);
  return {
    type: 'postgres',
    url,
    ssl,
    entities,
    migrations: [join(__dirname, '..', '..', 'migrations', '*.{ts,js}')],
    migrationsTableName: 'typeorm_migrations',
    synchronize: false,
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    migrationsRun: false,
    extra: { max: 20, ...connectionBounds() },
  };
}
