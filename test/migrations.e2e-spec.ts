import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestDatabase } from './support/fixture';

/** A database as the previous release (TypeORM 0.3) left it: both of its migrations applied. */
const MIGRATED_BY_TYPEORM_0_3 = readFileSync(join(__dirname, 'fixtures', 'typeorm-0.3-two-migrations.sql'), 'utf8');

/** What TypeORM records per migration file `<timestamp>-<Name>.ts`: the class name `<Name><timestamp>`. */
const EXPECTED_MIGRATIONS = readdirSync(join(__dirname, '..', 'migrations'))
  .map((file) => /^(\d+)-(\w+)\.ts$/.exec(file))
  .filter((match) => match !== null)
  .map(([, timestamp, name]) => ({ timestamp, name: `${name}${timestamp}` }))
  .sort((a, b) => Number(a.timestamp) - Number(b.timestamp));

function appliedMigrations(db: TestDatabase) {
  return db.query<{ timestamp: string; name: string }>('SELECT "timestamp"::text AS timestamp, name FROM typeorm_migrations ORDER BY id');
}

/** Columns, constraints and indexes of the public schema, one line each. */
async function schemaOf(db: TestDatabase): Promise<string[]> {
  const rows = await db.query<{ line: string }>(`
    SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS line
      FROM information_schema.columns WHERE table_schema = 'public'
    UNION ALL
    SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace
    UNION ALL
    SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'
    ORDER BY 1`);
  return rows.map((r) => r.line);
}

describe('migrations on TypeORM 1.x (real PostgreSQL)', () => {
  const databases: TestDatabase[] = [];
  const create = async (label: string, before?: string) => {
    const db = await TestDatabase.create(label, before);
    databases.push(db);
    return db;
  };

  afterAll(async () => {
    await Promise.all(databases.map((db) => db.drop()));
  });

  it('migrates an empty database: every migration applied once, none pending', async () => {
    const db = await create('migrate_empty');
    expect(EXPECTED_MIGRATIONS.length).toBeGreaterThanOrEqual(2);
    expect(await appliedMigrations(db)).toEqual(EXPECTED_MIGRATIONS);
    expect(await db.dataSource.showMigrations()).toBe(false);
  });

  it('takes over a database migrated by TypeORM 0.3: nothing re-run, the same schema as a fresh one', async () => {
    const fresh = await create('migrate_fresh');
    const upgraded = await create('migrate_from_0_3', MIGRATED_BY_TYPEORM_0_3);
    const applied = await appliedMigrations(upgraded);
    expect(applied).toEqual(EXPECTED_MIGRATIONS);
    expect(await upgraded.dataSource.showMigrations()).toBe(false);
    expect(await schemaOf(upgraded)).toEqual(await schemaOf(fresh));
  });
});
