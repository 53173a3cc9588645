import { join } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { postgresConnection } from '../config/postgres-tls';
import { ProcessedEvent } from '../idempotency/processed-event.entity';
import { Invoice } from '../invoices/invoice.entity';
import { OutboxMessage } from '../outbox/outbox-message.entity';
import { StoredOffset } from '../consumer-offsets/stored-offset.entity';
import { AdminAuditEntry } from '../audit/admin-audit.entity';

export const ENTITIES = [ProcessedEvent, Invoice, StoredOffset, OutboxMessage, AdminAuditEntry];

/** The service, the migrations and the CLIs all connect through this, so DATABASE_URL's sslmode means the same everywhere. */
export function dataSourceOptions(databaseUrl: string): DataSourceOptions {
  const { url, ssl } = postgresConnection(databaseUrl);
  return {
    type: 'postgres',
    url,
    ssl,
    entities: ENTITIES,
    migrations: [join(__dirname, '..', '..', 'migrations', '*.{ts,js}')],
    migrationsTableName: 'typeorm_migrations',
    synchronize: false,
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    migrationsRun: false,
    extra: { max: 20, connectionTimeoutMillis: 5000 },
  };
}
