// The shared infrastructure of development and the tests: a broker on 127.0.0.1:9092 that outlives the command
// that started it (pid file in .infra/kafka), and the machine's PostgreSQL with the application's database.
import fs from 'node:fs';
import path from 'node:path';
import { errorCode, InfraError, isAlive, log, cmdlineOf, portInUse, sleep, STATE_DIR } from './common.ts';
import { KafkaBroker, kafkaServesGroups } from './kafka.ts';
import { ensurePostgres } from './postgres.ts';

const RUN = path.join(STATE_DIR, 'kafka');
const PID_FILE = path.join(RUN, 'kafka.pid');
const LOCK_FILE = path.join(RUN, 'start.lock');
const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 30_000;

const broker = new KafkaBroker(RUN);

function brokers(): string[] {
  return (process.env.KAFKA_BROKERS || '127.0.0.1:9092')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
}

const isKafkaReady = () => kafkaServesGroups({ brokers: brokers() });

function readPid(): number | null {
  const pid = fs.existsSync(PID_FILE) ? Number(fs.readFileSync(PID_FILE, 'utf8').trim()) : 0;
  return pid > 0 ? pid : null;
}

// A stale pid may have been reused by another process, so we also check that it is our broker.
function isBrokerPid(pid: number | null): boolean {
  return !!pid && isAlive(pid) && (!fs.existsSync('/proc/self/cmdline') || cmdlineOf(pid).includes('kafka.Kafka'));
}

async function waitForKafka(pid: number | null): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await isKafkaReady()) return;
    if (pid && !isBrokerPid(pid)) throw new InfraError(`Kafka (pid ${pid}) exited during startup.\n${broker.logTail(40)}`);
    await sleep(250);
  }
  throw new InfraError(`Kafka did not answer on ${brokers().join(',')} within ${READY_TIMEOUT_MS / 1000}s.\n${broker.logTail(40)}`);
}

// A lock left by a crashed process must not block forever. An empty file is a lock being written, not a dead one.
function lockOwnerIsDead(): boolean {
  try {
    const owner = Number(fs.readFileSync(LOCK_FILE, 'utf8'));
    if (!owner) return false;
    process.kill(owner, 0);
    return false;
  } catch (error) {
    return errorCode(error) === 'ESRCH';
  }
}

// Serialises concurrent starters (two jest runs, a shell and a test) so only one spawns a broker.
async function withStartLock<T>(work: () => Promise<T>): Promise<T> {
  fs.mkdirSync(RUN, { recursive: true });
  const deadline = Date.now() + READY_TIMEOUT_MS + 120_000;
  for (;;) {
    try {
      fs.writeFileSync(LOCK_FILE, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
      if (lockOwnerIsDead()) fs.rmSync(LOCK_FILE, { force: true });
      else if (Date.now() > deadline) throw new InfraError(`Timed out waiting for ${LOCK_FILE}.`);
      else await sleep(200);
    }
  }
  try {
    return await work();
  } finally {
    fs.rmSync(LOCK_FILE, { force: true });
  }
}

export interface KafkaStart {
  started: boolean;
  pid: number | null;
}

/** Starts the broker unless one already answers. */
export async function startKafka(): Promise<KafkaStart> {
  if (await isKafkaReady()) return { started: false, pid: readPid() };
  return withStartLock(async () => {
    const running = readPid();
    if (running && isBrokerPid(running)) {
      log(`Kafka (pid ${running}) is starting; waiting for it...`);
      await waitForKafka(running);
      return { started: false, pid: running };
    }
    if (await isKafkaReady()) return { started: false, pid: null };
    for (const port of [9092, 9093]) {
      if (await portInUse(port)) throw new InfraError(`Port ${port} is taken by something that is not a working Kafka broker (see: ss -ltnp | grep ${port}).`);
    }
    broker.writeProperties();
    await broker.format();
    const child = broker.spawn(['-Xmx512m', '-Xms128m'], true);
    child.unref();
    fs.writeFileSync(PID_FILE, String(child.pid));
    log(`Kafka starting (pid ${child.pid}), logs in ${path.relative(process.cwd(), broker.logs)}/`);
    await waitForKafka(child.pid ?? null);
    return { started: true, pid: child.pid ?? null };
  });
}

/** Stops the broker this repo started (SIGTERM, then SIGKILL after 30 s). Keeps data unless purge. */
export async function stopKafka({ purge = false } = {}): Promise<{ stopped: boolean }> {
  const pid = readPid();
  let stopped = false;
  if (pid && isBrokerPid(pid)) {
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
    fs.rmSync(path.join(RUN, 'data'), { recursive: true, force: true });
    fs.rmSync(broker.logs, { recursive: true, force: true });
    log('Kafka data and logs removed');
  }
  return { stopped };
}

export async function restartKafka(): Promise<KafkaStart> {
  await stopKafka();
  return startKafka();
}

export async function kafkaStatus(): Promise<{ pid: number | null; ready: boolean }> {
  const pid = readPid();
  return { pid: isBrokerPid(pid) ? pid : null, ready: await isKafkaReady() };
}

/** What `npm run infra:up` does; migrations are NOT applied here (see `npm run migration:run`). */
export async function ensureInfra(): Promise<KafkaStart> {
  await ensurePostgres();
  return startKafka();
}
