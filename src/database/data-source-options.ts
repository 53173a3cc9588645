import { join } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { ProcessedEvent } from '../idempotency/processed-event.entity';
import { Invoice } from '../invoices/invoice.entity';
import { OutboxMessage } from '../outbox/outbox-message.entity';
import { StoredOffset } from '../consumer-offsets/stored-offset.entity';

export const ENTITIES = [ProcessedEvent, Invoice, StoredOffset, OutboxMessage];

export function dataSourceOptions(url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
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
