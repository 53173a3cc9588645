import { join } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { postgresConnection } from '../config/postgres-tls';

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
    extra: { max: 20, connectionTimeoutMillis: 5000 },
  };
}
