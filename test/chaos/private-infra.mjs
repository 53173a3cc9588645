// A private Kafka broker and a private PostgreSQL server for the chaos suite. It restarts and kills
// them, so it must never touch the shared ones on 9092 / 5432 that other tests are using.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { kafkaClasspath, portInUse, postgresBinDir, runAsPostgres } from '../../scripts/infra-lib.mjs';

export { portInUse };

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const CHAOS_DIR = path.join(ROOT, '.infra', 'chaos');
export const KAFKA_PORT = 29092;
export const CONTROLLER_PORT = 29093;
export const PG_PORT = 25432;
export const BROKERS = [`127.0.0.1:${KAFKA_PORT}`];
export const DATABASE = 'billing_chaos';
export const DATABASE_URL = `postgres://postgres@127.0.0.1:${PG_PORT}/${DATABASE}`;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function isAlive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers kill(0); it is gone for our purposes.
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

async function waitFor(what, timeoutMs, probe) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await sleep(250);
  }
  throw new Error(`${what} not ready within ${timeoutMs / 1000} s`);
}

function tail(file, lines = 30) {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log)';
}

export function kafkaClient(clientId, extra = {}) {
  return new kafkajs.Kafka({ clientId, brokers: BROKERS, logLevel: kafkajs.logLevel.NOTHING, ...extra });
}

// ---------- leftovers of an interrupted run ----------

const STATE_FILE = path.join(CHAOS_DIR, 'state.json');

function readState() {
  try {
    return JSON.parse(fs.readFileSync(STATE_FILE, 'utf8'));
  } catch {
    return {};
  }
}

/** Records what this run started, so that a run killed before its teardown is cleaned up by the next one. */
export function remember(entries) {
  fs.mkdirSync(CHAOS_DIR, { recursive: true });
  const state = readState();
  for (const [key, value] of Object.entries(entries)) {
    state[key] = key === 'consumerPids' ? [...(state.consumerPids ?? []), ...value] : value;
  }
  fs.writeFileSync(STATE_FILE, JSON.stringify(state));
}

function cmdlineOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** Stops only processes that are provably ours: the pid is recorded and its command line matches. */
export function cleanUpInterruptedRun(log) {
  const state = readState();
  const ours = [
    ...(state.kafkaPid && cmdlineOf(state.kafkaPid).includes(CHAOS_DIR) ? [state.kafkaPid] : []),
    ...(state.consumerPids ?? []).filter((pid) => cmdlineOf(pid).includes(path.join('dist', 'src', 'main.js'))),
  ];
  for (const pid of ours) {
    log(`stopping pid ${pid} left by an interrupted chaos run`);
    process.kill(pid, 'SIGKILL');
  }
  if (state.pgDir && fs.existsSync(path.join(state.pgDir, 'data', 'postmaster.pid'))) {
    log(`stopping the PostgreSQL left by an interrupted chaos run (${state.pgDir})`);
    const postgres = new PrivatePostgres();
    postgres.bin = postgresBinDir();
    postgres.dir = state.pgDir;
    try {
      postgres.stop('immediate');
    } catch (error) {
      log(error.message);
    }
  }
  if (state.pgDir) fs.rmSync(state.pgDir, { recursive: true, force: true });
  fs.rmSync(STATE_FILE, { force: true });
}

// ---------- Kafka ----------

export class PrivateKafka {
  dir = path.join(CHAOS_DIR, 'kafka');
  logs = path.join(this.dir, 'logs');
  pid = null;
  pids = [];

  async start() {
    if (!this.cp) {
      for (const port of [KAFKA_PORT, CONTROLLER_PORT]) {
        if (await portInUse(port)) throw new Error(`port ${port} is taken (another chaos run?); the suite needs it for its private broker`);
      }
      fs.rmSync(this.dir, { recursive: true, force: true });
      fs.mkdirSync(this.logs, { recursive: true });
      // kafkaClasspath() caches its result there; on a fresh clone nothing has created it yet.
      fs.mkdirSync(path.join(ROOT, '.infra', 'kafka'), { recursive: true });
      this.cp = kafkaClasspath();
      this.props = this.writeProperties();
      const format = spawnSync('java', this.javaArgs('kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', this.props), { encoding: 'utf8' });
      if (format.status !== 0) throw new Error(`Kafka storage format failed:\n${format.stdout}${format.stderr}`);
    }
    const out = fs.openSync(path.join(this.logs, 'kafka.out'), 'a');
    const child = spawn('java', ['-Xmx512m', '-Xms128m', ...this.javaArgs('kafka.Kafka', this.props)], { stdio: ['ignore', out, out] });
    fs.closeSync(out);
    this.child = child;
    this.pid = child.pid;
    this.pids.push(child.pid);
    remember({ kafkaPid: child.pid });
    await waitFor('private Kafka broker', 90_000, async () => {
      if (child.exitCode !== null) throw new Error(`private Kafka exited during startup:\n${tail(path.join(this.logs, 'server.log'))}`);
      return this.answers();
    });
  }

  async answers() {
    const admin = kafkaClient('chaos-probe', { connectionTimeout: 2000, requestTimeout: 2000, retry: { retries: 0 } }).admin();
    try {
      await admin.connect();
      return (await admin.describeCluster()).brokers.length > 0;
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  /** SIGTERM is a controlled shutdown; SIGKILL a crash, after which the broker recovers its logs. */
  async stop(signal = 'SIGTERM') {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    const timedOut = await Promise.race([exited.then(() => false), sleep(30_000).then(() => true)]);
    if (timedOut) {
      child.kill('SIGKILL');
      await exited;
    }
  }

  async restart(downMs, signal) {
    await this.stop(signal);
    await sleep(downMs);
    await this.start();
  }

  writeProperties() {
    const base = fs
      .readFileSync(path.join(ROOT, 'infra', 'kafka', 'server.properties'), 'utf8')
      .replaceAll('127.0.0.1:9092', `127.0.0.1:${KAFKA_PORT}`)
      .replaceAll('127.0.0.1:9093', `127.0.0.1:${CONTROLLER_PORT}`);
    const file = path.join(this.dir, 'server.properties');
    fs.writeFileSync(file, `${base.trimEnd()}\nlog.dirs=${path.join(this.dir, 'data')}\n`);
    return file;
  }

  javaArgs(mainClass, ...args) {
    return [
      '-cp', this.cp,
      `-Dlog4j.configuration=file:${path.join(ROOT, 'infra', 'kafka', 'log4j.properties')}`,
      `-Dkafka.logs.dir=${this.logs}`,
      '-Djava.awt.headless=true',
      mainClass, ...args,
    ];
  }
}

function clusterId() {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

// ---------- PostgreSQL ----------

export class PrivatePostgres {
  pids = [];

  async start() {
    if (!this.dir) {
      if (await portInUse(PG_PORT)) throw new Error(`port ${PG_PORT} is taken (another chaos run?); the suite needs it for its private PostgreSQL`);
      this.bin = postgresBinDir();
      // Under /tmp rather than the checkout: the postgres user may not be allowed into the repository's directories.
      this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'billing-chaos-pg-'));
      remember({ pgDir: this.dir });
      if (process.getuid?.() === 0) spawnSync('chown', ['-R', 'postgres:postgres', this.dir]);
      runAsPostgres(path.join(this.bin, 'initdb'), ['-D', this.data(), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    }
    runAsPostgres(path.join(this.bin, 'pg_ctl'), [
      'start', '-D', this.data(), '-l', path.join(this.dir, 'postgres.log'), '-w', '-t', '60',
      '-o', `-p ${PG_PORT} -c listen_addresses=127.0.0.1 -k ${this.dir} -c max_connections=200`,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.pids.push(this.postmasterPid());
    await waitFor('private PostgreSQL', 60_000, () => this.answers());
  }

  data() {
    return path.join(this.dir, 'data');
  }

  postmasterPid() {
    const file = path.join(this.data(), 'postmaster.pid');
    return fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8').split('\n')[0]) : null;
  }

  async answers(database = 'postgres') {
    const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${PG_PORT}/${database}`, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  }

  async createDatabase() {
    const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${PG_PORT}/postgres` });
    await client.connect();
    try {
      await client.query(`create database ${DATABASE}`);
    } finally {
      await client.end();
    }
  }

  /** mode 'immediate' is a crash: no checkpoint, recovery from WAL at the next start. */
  stop(mode = 'fast') {
    if (!this.dir || !fs.existsSync(path.join(this.data(), 'postmaster.pid'))) return;
    runAsPostgres(path.join(this.bin, 'pg_ctl'), ['stop', '-D', this.data(), '-m', mode, '-w', '-t', '60'], { stdio: ['ignore', 'pipe', 'pipe'] });
  }

  async restart(downMs, mode) {
    this.stop(mode);
    await sleep(downMs);
    await this.start();
  }

  logTail() {
    return this.dir ? tail(path.join(this.dir, 'postgres.log')) : '';
  }

  remove() {
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
