// The chaos suite's private Kafka broker and PostgreSQL. It restarts and kills them, so they must never be the
// shared ones on 9092 / 5432 that other tests are using.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import kafkajs, { type KafkaConfig } from 'kafkajs';
import { cmdlineOf, errorMessage, InfraError, portInUse, sleep, STATE_DIR, waitFor } from './common.ts';
import { KafkaBroker, kafkaAnswers, stopChild } from './kafka.ts';
import { PrivatePostgres } from './postgres.ts';

export const CHAOS_DIR = path.join(STATE_DIR, 'chaos');
export const KAFKA_PORT = 29092;
export const CONTROLLER_PORT = 29093;
export const PG_PORT = 25432;
export const BROKERS = [`127.0.0.1:${KAFKA_PORT}`];
export const DATABASE = 'billing_chaos';
export const DATABASE_URL = `postgres://postgres@127.0.0.1:${PG_PORT}/${DATABASE}`;

export function kafkaClient(clientId: string, extra: Partial<KafkaConfig> = {}): kafkajs.Kafka {
  return new kafkajs.Kafka({ clientId, brokers: BROKERS, logLevel: kafkajs.logLevel.NOTHING, ...extra });
}

// ---------- leftovers of an interrupted run ----------

interface ChaosState {
  kafkaPid?: number;
  consumerPids?: number[];
  pgDir?: string;
}

const STATE_FILE = path.join(CHAOS_DIR, 'state.json');

function readState(): ChaosState {
  try {
    return JSON.parse(fs.readFileSync(STATE_FILE, 'utf8')) as ChaosState;
  } catch {
    return {};
  }
}

/** Records what this run started, so that a run killed before its teardown is cleaned up by the next one. */
export function remember(entries: ChaosState): void {
  fs.mkdirSync(CHAOS_DIR, { recursive: true });
  const state = readState();
  const consumerPids = [...(state.consumerPids ?? []), ...(entries.consumerPids ?? [])];
  fs.writeFileSync(STATE_FILE, JSON.stringify({ ...state, ...entries, consumerPids }));
}

/** Stops only processes that are provably ours: the pid is recorded and its command line matches. */
export function cleanUpInterruptedRun(log: (message: string) => void): void {
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
    try {
      PrivatePostgres.leftIn(state.pgDir, postgresOptions).stop('immediate');
    } catch (error) {
      log(errorMessage(error));
    }
  }
  if (state.pgDir) fs.rmSync(state.pgDir, { recursive: true, force: true });
  fs.rmSync(STATE_FILE, { force: true });
}

// ---------- Kafka ----------

export class ChaosKafka {
  readonly broker = new KafkaBroker(path.join(CHAOS_DIR, 'kafka'));
  readonly pids: number[] = [];
  private child: ChildProcess | undefined;

  /** The first start creates the broker; later ones restart it on its data (log recovery after a SIGKILL). */
  async start(): Promise<void> {
    if (!this.child) {
      for (const port of [KAFKA_PORT, CONTROLLER_PORT]) {
        if (await portInUse(port)) throw new InfraError(`port ${port} is taken (another chaos run?); the suite needs it for its private broker`);
      }
      fs.rmSync(this.broker.dir, { recursive: true, force: true });
      this.broker.writeProperties({
        'controller.quorum.voters': `1@127.0.0.1:${CONTROLLER_PORT}`,
        listeners: `PLAINTEXT://127.0.0.1:${KAFKA_PORT},CONTROLLER://127.0.0.1:${CONTROLLER_PORT}`,
        'advertised.listeners': `PLAINTEXT://127.0.0.1:${KAFKA_PORT}`,
      });
      await this.broker.format();
    }
    const child = this.broker.spawn(['-Xmx512m', '-Xms128m']);
    this.child = child;
    if (child.pid) {
      this.pids.push(child.pid);
      remember({ kafkaPid: child.pid });
    }
    await waitFor('private Kafka broker', 90_000, () => {
      if (child.exitCode !== null) throw new InfraError(`private Kafka exited during startup:\n${this.broker.logTail()}`);
      return kafkaAnswers({ brokers: BROKERS });
    });
  }

  /** SIGTERM is a controlled shutdown; SIGKILL a crash, after which the broker recovers its logs. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    return stopChild(this.child, signal, 30_000);
  }

  async restart(downMs: number, signal: NodeJS.Signals): Promise<void> {
    await this.stop(signal);
    await sleep(downMs);
    await this.start();
  }
}

// ---------- PostgreSQL ----------

const postgresOptions = {
  port: PG_PORT,
  label: 'billing-chaos-pg',
  serverOptions: '-c max_connections=200',
  onCreated: (dir: string) => remember({ pgDir: dir }),
};

export function chaosPostgres(): PrivatePostgres {
  return new PrivatePostgres(postgresOptions);
}
