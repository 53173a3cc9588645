// Fails when the entities and the migrations disagree: applies every migration to a scratch database,
// then asks TypeORM whether it would generate anything more.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const adminUrl = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `billing_migcheck_${randomBytes(4).toString('hex')}`;
const url = adminUrl.replace(/\/[^/]*$/, `/${name}`);

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

// Quiet when it passes; a failing step prints what TypeORM said (the SQL it ran or would generate).
const typeorm = (...args: string[]): void => {
  try {
    execFileSync('npx', ['typeorm', ...args, '-d', 'dist/src/data-source.js'], {
      env: { ...process.env, DATABASE_URL: url },
      stdio: 'pipe',
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    process.stdout.write(stdout ?? '');
    process.stderr.write(stderr ?? '');
    throw error;
  }
};

await admin(`CREATE DATABASE "${name}"`);
let failed = false;
try {
  typeorm('migration:run');
  typeorm('migration:generate', 'migrations/PendingChanges', '--check');
  console.log('migrations match the entities');
} catch {
  failed = true;
  console.error('migrations do not match the entities: run `npm run migration:generate -- migrations/<Name>` and commit it');
} finally {
  await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}
process.exit(failed ? 1 : 0);
