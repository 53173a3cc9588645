// PostgreSQL: the machine's cluster for development and the shared tests, and private servers (initdb + pg_ctl in a
// directory of their own) for the chaos suite and the transport-security tests.
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { errorCode, errorMessage, InfraError, log, portInUse, sleep, tail, waitFor } from './common.ts';

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/billing';

/** The directory of initdb and pg_ctl. */
export function postgresBinDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ? fs.readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (fs.existsSync(path.join(base, v, 'bin', 'initdb'))) return path.join(base, v, 'bin');
  const r = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (r.status === 0 && fs.existsSync(path.join(r.stdout.trim(), 'initdb'))) return r.stdout.trim();
  throw new InfraError('initdb not found (Debian: apt-get install postgresql)');
}

/** PostgreSQL refuses to run as root, so as root its tools run as the postgres OS user. */
export function runAsPostgres(cmd: string, args: string[]): SpawnSyncReturns<string> {
  const [file, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  const r = spawnSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new InfraError(`${path.basename(cmd)} ${args[0]} failed (${r.status}):\n${r.stdout ?? ''}${r.stderr ?? ''}`);
  return r;
}

export function chownToPostgres(...paths: string[]): void {
  if (process.getuid?.() === 0) spawnSync('chown', ['-R', 'postgres:postgres', ...paths]);
}

/** Runs `work` on one connection to `url`, closed afterwards. */
export async function withClient<T>(url: string | pg.ClientConfig, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(typeof url === 'string' ? { connectionString: url } : url);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function adminUrl(url: string): string {
  const u = new URL(url);
  u.pathname = '/postgres';
  return u.toString();
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Creates the database `url` names unless it exists; true when it created it. */
export async function createDatabaseIfMissing(url: string): Promise<boolean> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!name) throw new InfraError(`No database name in ${url}`);
  return withClient(adminUrl(url), async (client) => {
    if ((await client.query('select 1 from pg_database where datname = $1', [name])).rowCount) return false;
    try {
      await client.query(`create database ${quoteIdentifier(name)}`);
    } catch (error) {
      // Another process created it between our check and our create.
      if (['42P04', '23505'].includes(errorCode(error) ?? '')) return false;
      throw error;
    }
    log(`created database ${name}`);
    return true;
  });
}

// ---------- the machine's cluster ----------

async function answers(url: string): Promise<boolean> {
  try {
    await withClient({ connectionString: adminUrl(url), connectionTimeoutMillis: 2000 }, (client) => client.query('select 1'));
    return true;
  } catch (error) {
    // Refused/timeout means "not running"; anything else (auth, unknown role) is a real error.
    if (['ECONNREFUSED', 'ENOENT', 'ETIMEDOUT', '57P03'].includes(errorCode(error) ?? '') || /timeout/i.test(errorMessage(error))) return false;
    throw new InfraError(`PostgreSQL at ${new URL(url).host} refused us: ${errorMessage(error)}`);
  }
}

function startMachineCluster(): void {
  const dir = '/etc/postgresql';
  const versions = fs.existsSync(dir) ? fs.readdirSync(dir).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) throw new InfraError('PostgreSQL is not installed (no /etc/postgresql). Debian: apt-get install postgresql');
  log(`starting PostgreSQL ${versions[0]} cluster 'main'...`);
  const r = spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', versions[0], 'main', 'start'], { encoding: 'utf8' });
  // Exit 2 means "already running", which is fine: we then just wait for it to accept connections.
  if (r.error || (r.status !== 0 && r.status !== 2)) throw new InfraError(`pg_ctlcluster failed: ${r.error?.message ?? ''}${r.stdout ?? ''}${r.stderr ?? ''}`);
}

/** Makes PostgreSQL answer (starting the local cluster if needed) and creates the application's database. */
export async function ensurePostgres(databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL): Promise<void> {
  if (!(await answers(databaseUrl))) {
    const host = new URL(databaseUrl).hostname;
    if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
      throw new InfraError(`PostgreSQL at ${host} does not answer (and it is not local, so it is not started here).`);
    }
    startMachineCluster();
    await waitFor('PostgreSQL', 60_000, () => answers(databaseUrl));
  }
  await createDatabaseIfMissing(databaseUrl);
}

// ---------- private servers ----------

export interface PrivatePostgresOptions {
  port: number;
  /** Prefix of its directory under the OS temp directory. */
  label: string;
  /** Extra `postgres` options, e.g. '-c ssl=on'. */
  serverOptions: string;
  listenAddresses?: string;
  /** Called after initdb, before the first start: certificates, pg_hba.conf. */
  prepare?: (dataDir: string) => void;
  /** Recorded as soon as the directory exists, so that an interrupted run can be cleaned up by the next one. */
  onCreated?: (dir: string) => void;
}

/** A PostgreSQL of its own, trust auth, under the OS temp directory (the postgres user may not enter the checkout). */
export class PrivatePostgres {
  readonly options: PrivatePostgresOptions;
  readonly pids: number[] = [];
  dir = '';
  private binDir = '';

  constructor(options: PrivatePostgresOptions) {
    this.options = options;
  }

  /** One that an interrupted run left in `dir`. */
  static leftIn(dir: string, options: PrivatePostgresOptions): PrivatePostgres {
    const postgres = new PrivatePostgres(options);
    postgres.dir = dir;
    return postgres;
  }

  private get bin(): string {
    return (this.binDir ||= postgresBinDir());
  }

  get port(): number {
    return this.options.port;
  }

  data(): string {
    return path.join(this.dir, 'data');
  }

  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Creates the server at the first start; later starts reuse its data (recovery after a crash). */
  async start(): Promise<void> {
    if (!this.dir) await this.init();
    const listen = this.options.listenAddresses ?? '127.0.0.1';
    runAsPostgres(path.join(this.bin, 'pg_ctl'), [
      'start',
      '-D',
      this.data(),
      '-l',
      path.join(this.dir, 'postgres.log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${this.port} -c listen_addresses=${listen} -k ${this.dir} ${this.options.serverOptions}`,
    ]);
    const pid = this.postmasterPid();
    if (pid) this.pids.push(pid);
    // Over the socket: a TLS-only server refuses plain TCP.
    await waitFor('private PostgreSQL', 60_000, () =>
      withClient({ host: this.dir, port: this.port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 2000 }, (c) => c.query('select 1')).then(
        () => true,
        () => false,
      ),
    );
  }

  private async init(): Promise<void> {
    if (await portInUse(this.port))
      throw new InfraError(`port ${this.port} is taken (another run?); ${this.options.label} needs it for its private PostgreSQL`);
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `${this.options.label}-`));
    this.options.onCreated?.(this.dir);
    chownToPostgres(this.dir);
    runAsPostgres(path.join(this.bin, 'initdb'), ['-D', this.data(), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
    this.options.prepare?.(this.data());
  }

  async createDatabase(name: string): Promise<void> {
    await withClient({ host: this.dir, port: this.port, user: 'postgres', database: 'postgres' }, (client) =>
      client.query(`create database ${quoteIdentifier(name)}`),
    );
  }

  postmasterPid(): number | null {
    const file = path.join(this.data(), 'postmaster.pid');
    return fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8').split('\n')[0]) : null;
  }

  /** mode 'immediate' is a crash: no checkpoint, recovery from WAL at the next start. */
  stop(mode: 'fast' | 'immediate' = 'fast'): void {
    if (!this.dir || !fs.existsSync(path.join(this.data(), 'postmaster.pid'))) return;
    runAsPostgres(path.join(this.bin, 'pg_ctl'), ['stop', '-D', this.data(), '-m', mode, '-w', '-t', '60']);
  }

  async restart(downMs: number, mode: 'fast' | 'immediate'): Promise<void> {
    this.stop(mode);
    await sleep(downMs);
    await this.start();
  }

  logTail(): string {
    return this.dir ? tail(path.join(this.dir, 'postgres.log')) : '';
  }

  remove(): void {
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
