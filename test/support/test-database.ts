import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';

const ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A database of its own per test file, migrated like production, so files can run in any order or in parallel. */
export class TestDatabase {
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
    const dataSource = new DataSource(dataSourceOptions(url));
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'all' });
    return new TestDatabase(name, url, dataSource);
  }

  query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.dataSource.query(sql, params);
  }

  async count(table: 'invoices' | 'processed_events' | 'invoice_outbox', where = 'true', params: unknown[] = []): Promise<number> {
    const rows = await this.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table} WHERE ${where}`, params);
    return Number(rows[0].n);
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
