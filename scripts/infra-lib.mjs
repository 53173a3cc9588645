// Local infrastructure for development and tests: a single-node Kafka broker (KRaft, run from
// Maven-resolved jars, no Docker) and the PostgreSQL databases. Used by scripts/infra.mjs and
// importable from jest globalSetup. Kept free of top-level await so CommonJS can require() it.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import pg from 'pg';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'infra', 'kafka');
const RUN = path.join(ROOT, '.infra', 'kafka');
const DATA = path.join(RUN, 'data');
const LOGS = path.join(RUN, 'logs');
const PID_FILE = path.join(RUN, 'kafka.pid');
const LOCK_FILE = path.join(RUN, 'start.lock');
const CP_FILE = path.join(RUN, 'classpath.txt');
const CP_HASH_FILE = path.join(RUN, 'classpath.sha256');
const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 30_000;

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/billing';
export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/billing_test';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (msg) => console.log(`[infra] ${msg}`);

export class InfraError extends Error {}

function brokers() {
  return (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',').map((b) => b.trim()).filter(Boolean);
}

// ---------- Kafka ----------

/** True when the brokers answer a metadata request (one short attempt, no retries). */
export async function isKafkaReady(timeoutMs = 2000) {
  const kafka = new kafkajs.Kafka({
    clientId: 'infra-probe',
    brokers: brokers(),
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const { brokers: found } = await admin.describeCluster();
    return found.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

function readPid() {
  const pid = Number(fs.existsSync(PID_FILE) && fs.readFileSync(PID_FILE, 'utf8').trim());
  return pid > 0 ? pid : null;
}

// A stale pid may have been reused by another process (or be a zombie with an empty cmdline),
// so on Linux we also check that it is our broker.
function isBrokerPid(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const cmdline = `/proc/${pid}/cmdline`;
  if (!fs.existsSync('/proc/self/cmdline')) return true;
  try {
    return fs.readFileSync(cmdline, 'utf8').includes('kafka.Kafka');
  } catch {
    return false;
  }
}

export function portInUse(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

function checkTool(cmd, args, hint) {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  if (r.error?.code === 'ENOENT') throw new InfraError(`'${cmd}' not found on PATH. ${hint}`);
}

/** Runtime classpath of the broker, resolved by Maven once per version of infra/kafka/pom.xml. */
export function kafkaClasspath() {
  const pom = path.join(SRC, 'pom.xml');
  const hash = createHash('sha256').update(fs.readFileSync(pom)).digest('hex');
  if (fs.existsSync(CP_FILE) && fs.existsSync(CP_HASH_FILE) && fs.readFileSync(CP_HASH_FILE, 'utf8') === hash) {
    const cp = fs.readFileSync(CP_FILE, 'utf8').trim();
    // The cache is only good while the jars are still in the local Maven repository.
    if (cp && cp.split(path.delimiter).every((jar) => fs.existsSync(jar))) return cp;
  }
  checkTool('mvn', ['-v'], 'Install Maven 3.6+ (Debian: apt-get install maven) to fetch the Kafka jars.');
  log('resolving Kafka jars with Maven (first run only)...');
  const r = spawnSync(
    'mvn',
    ['-B', '-q', '-Dstyle.color=never', '-f', pom, 'dependency:build-classpath', '-Dmdep.includeScope=runtime', `-Dmdep.outputFile=${CP_FILE}`],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (r.status !== 0) {
    throw new InfraError(`Maven could not resolve the Kafka classpath (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  }
  fs.writeFileSync(CP_HASH_FILE, hash);
  return fs.readFileSync(CP_FILE, 'utf8').trim();
}

// Same shape as Kafka's Uuid.randomUuid(): 16 random bytes, base64url; a leading '-' would read as a CLI flag.
export function clusterId() {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function writeServerProperties() {
  const file = path.join(RUN, 'server.properties');
  const base = fs.readFileSync(path.join(SRC, 'server.properties'), 'utf8');
  fs.writeFileSync(file, `${base.trimEnd()}\nlog.dirs=${DATA}\n`);
  return file;
}

function javaArgs(cp, mainClass, ...args) {
  return [
    '-cp', cp,
    `-Dlog4j.configuration=file:${path.join(SRC, 'log4j.properties')}`,
    `-Dkafka.logs.dir=${LOGS}`,
    '-Djava.awt.headless=true',
    mainClass, ...args,
  ];
}

function formatStorageOnce(cp, props) {
  if (fs.existsSync(path.join(DATA, 'meta.properties'))) return;
  const r = spawnSync('java', javaArgs(cp, 'kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', props, '--ignore-formatted'), {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new InfraError(`Kafka storage format failed:\n${r.stdout}${r.stderr}`);
}

export function kafkaLogTail(lines = 40) {
  const out = [];
  for (const f of ['kafka.out', 'server.log']) {
    const file = path.join(LOGS, f);
    if (!fs.existsSync(file) || fs.statSync(file).size === 0) continue;
    out.push(`--- ${path.relative(ROOT, file)} (last ${lines} lines) ---`, ...fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines));
  }
  return out.join('\n');
}

async function waitForKafka(pid) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await isKafkaReady()) return;
    if (pid && !isBrokerPid(pid)) throw new InfraError(`Kafka (pid ${pid}) exited during startup.\n${kafkaLogTail()}`);
    await sleep(250);
  }
  throw new InfraError(`Kafka did not answer on ${brokers().join(',')} within ${READY_TIMEOUT_MS / 1000}s.\n${kafkaLogTail()}`);
}

// A lock left by a crashed process must not block forever. An empty file is a lock being written, not a dead one.
function lockOwnerIsDead() {
  try {
    const owner = Number(fs.readFileSync(LOCK_FILE, 'utf8'));
    if (!owner) return false;
    process.kill(owner, 0);
    return false;
  } catch (err) {
    return err.code === 'ESRCH';
  }
}

// Serialises concurrent starters (two jest runs, a shell and a test) so only one spawns a broker.
async function withStartLock(fn) {
  fs.mkdirSync(RUN, { recursive: true });
  const deadline = Date.now() + READY_TIMEOUT_MS + 120_000;
  for (;;) {
    try {
      fs.writeFileSync(LOCK_FILE, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      if (lockOwnerIsDead()) fs.rmSync(LOCK_FILE, { force: true });
      else if (Date.now() > deadline) throw new InfraError(`Timed out waiting for ${LOCK_FILE}.`);
      else await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(LOCK_FILE, { force: true });
  }
}

/** Starts the broker unless one already answers. Returns { started, pid }. */
export async function startKafka() {
  if (await isKafkaReady()) return { started: false, pid: readPid() };
  return withStartLock(async () => {
    const running = readPid();
    if (isBrokerPid(running)) {
      log(`Kafka (pid ${running}) is starting; waiting for it...`);
      await waitForKafka(running);
      return { started: false, pid: running };
    }
    if (await isKafkaReady()) return { started: false, pid: null };
    for (const port of [9092, 9093]) {
      if (await portInUse(port)) {
        throw new InfraError(`Port ${port} is taken by something that is not a working Kafka broker (see: ss -ltnp | grep ${port}).`);
      }
    }
    checkTool('java', ['-version'], 'Install a JDK/JRE 17 (Debian: apt-get install openjdk-17-jre-headless).');
    const cp = kafkaClasspath();
    fs.mkdirSync(LOGS, { recursive: true });
    const props = writeServerProperties();
    formatStorageOnce(cp, props);

    const out = fs.openSync(path.join(LOGS, 'kafka.out'), 'a');
    const child = spawn('java', ['-Xmx512m', '-Xms128m', ...javaArgs(cp, 'kafka.Kafka', props)], {
      cwd: RUN,
      detached: true,
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    child.unref();
    fs.writeFileSync(PID_FILE, String(child.pid));
    log(`Kafka starting (pid ${child.pid}), logs in ${path.relative(ROOT, LOGS)}/`);
    await waitForKafka(child.pid);
    return { started: true, pid: child.pid };
  });
}

/** Stops the broker this repo started (SIGTERM, then SIGKILL after 30 s). Keeps data unless purge. */
export async function stopKafka({ purge = false } = {}) {
  const pid = readPid();
  let stopped = false;
  if (isBrokerPid(pid)) {
    log(`stopping Kafka (pid ${pid})...`);
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (isBrokerPid(pid) && Date.now() < deadline) await sleep(200);
    if (isBrokerPid(pid)) {
      log(`Kafka did not stop within ${STOP_TIMEOUT_MS / 1000}s; sending SIGKILL`);
      process.kill(pid, 'SIGKILL');
      while (isBrokerPid(pid)) await sleep(100);
    }
    stopped = true;
  } else if (await isKafkaReady()) {
    log('a Kafka broker answers but was not started by this repo (no pid file); leaving it alone');
  }
  fs.rmSync(PID_FILE, { force: true });
  if (purge) {
    fs.rmSync(DATA, { recursive: true, force: true });
    fs.rmSync(LOGS, { recursive: true, force: true });
    log('Kafka data and logs removed');
  }
  return { stopped, pid };
}

export async function restartKafka() {
  await stopKafka();
  return startKafka();
}

export async function kafkaStatus() {
  const pid = readPid();
  return { pid: isBrokerPid(pid) ? pid : null, ready: await isKafkaReady() };
}

// ---------- PostgreSQL ----------

function adminUrl(url) {
  const u = new URL(url);
  u.pathname = '/postgres';
  return u.toString();
}

async function pgAnswers(url) {
  const client = new pg.Client({ connectionString: adminUrl(url), connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch (err) {
    // Refused/timeout means "not running"; anything else (auth, unknown role) is a real error.
    if (['ECONNREFUSED', 'ENOENT', 'ETIMEDOUT', '57P03'].includes(err.code) || /timeout/i.test(err.message)) return false;
    throw new InfraError(`PostgreSQL at ${new URL(url).host} refused us: ${err.message}`);
  } finally {
    await client.end().catch(() => {});
  }
}

function startLocalPostgres() {
  const dir = '/etc/postgresql';
  const versions = fs.existsSync(dir) ? fs.readdirSync(dir).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) {
    throw new InfraError('PostgreSQL is not installed (no /etc/postgresql). Debian: apt-get install postgresql');
  }
  log(`starting PostgreSQL ${versions[0]} cluster 'main'...`);
  const r = spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', versions[0], 'main', 'start'], { encoding: 'utf8' });
  // Exit 2 means "already running", which is fine: we then just wait for it to accept connections.
  if (r.error || (r.status !== 0 && r.status !== 2)) {
    throw new InfraError(`pg_ctlcluster failed: ${r.error?.message ?? ''}${r.stdout ?? ''}${r.stderr ?? ''}`);
  }
}

async function createDatabaseIfMissing(url) {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!name) throw new InfraError(`No database name in ${url}`);
  const client = new pg.Client({ connectionString: adminUrl(url) });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (rowCount) return false;
    await client.query(`create database "${name.replaceAll('"', '""')}"`);
    log(`created database ${name}`);
    return true;
  } catch (err) {
    // Another process created it between our check and our create.
    if (err.code === '42P04' || err.code === '23505') return false;
    throw err;
  } finally {
    await client.end();
  }
}

/** Makes PostgreSQL answer (starting the local cluster if needed) and creates the app and test databases. */
export async function ensurePostgres({
  databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL,
  testDatabaseUrl = process.env.TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL,
} = {}) {
  if (!(await pgAnswers(databaseUrl))) {
    const host = new URL(databaseUrl).hostname;
    if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
      throw new InfraError(`PostgreSQL at ${host} does not answer (and it is not local, so it is not started here).`);
    }
    startLocalPostgres();
    const deadline = Date.now() + 60_000;
    while (!(await pgAnswers(databaseUrl))) {
      if (Date.now() > deadline) throw new InfraError('PostgreSQL did not accept connections within 60s.');
      await sleep(250);
    }
  }
  for (const url of new Set([databaseUrl, testDatabaseUrl])) await createDatabaseIfMissing(url);
}

/** The directory of initdb and pg_ctl, for the private servers tests start (chaos suite, secured infrastructure). */
export function postgresBinDir() {
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ? fs.readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (fs.existsSync(path.join(base, v, 'bin', 'initdb'))) return path.join(base, v, 'bin');
  const r = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (r.status === 0 && fs.existsSync(path.join(r.stdout.trim(), 'initdb'))) return r.stdout.trim();
  throw new InfraError('initdb not found (Debian: apt-get install postgresql)');
}

/** PostgreSQL refuses to run as root, so as root its tools run as the postgres OS user. */
export function runAsPostgres(cmd, args, options = {}) {
  const [file, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  const r = spawnSync(file, argv, { encoding: 'utf8', ...options });
  if (r.status !== 0) throw new InfraError(`${path.basename(cmd)} ${args[0]} failed (${r.status}):\n${r.stdout ?? ''}${r.stderr ?? ''}`);
  return r;
}

// ---------- both ----------

/** What `npm run infra:up` does; migrations are NOT applied here (see `npm run migration:run`). */
export async function ensureInfra(options = {}) {
  await ensurePostgres(options);
  return startKafka();
}
