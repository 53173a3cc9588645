// The chaos suite's private Kafka cluster (three brokers) and PostgreSQL. It restarts and kills them, so they must never be the
// shared ones on 9092 / 5432 that other tests are using.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { ISocketFactory, KafkaConfig } from 'kafkajs';
import kafkajs from './kafkajs.ts';
import { cmdlineOf, errorMessage, InfraError, portInUse, sleep, STATE_DIR } from './common.ts';
import { type KafkaNodePorts, PrivateKafkaCluster } from './kafka.ts';
import { PrivatePostgres } from './postgres.ts';

export const CHAOS_DIR = path.join(STATE_DIR, 'chaos');
/** Three KRaft nodes, each broker and controller; clients reach node i through a fault proxy on PROXY_PORTS[i]. */
export const KAFKA_NODES: readonly KafkaNodePorts[] = [1, 2, 3].map((id) => ({
  id,
  advertisedPort: 29091 + id,
  brokerPort: 29100 + id,
  internalPort: 29110 + id,
  controllerPort: 29120 + id,
}));
/** What the service is given: the proxies in front of the brokers. */
export const BROKERS = KAFKA_NODES.map((n) => `127.0.0.1:${n.advertisedPort}`);
export const PG_PORT = 25432;
/** The service reaches PostgreSQL through a fault proxy on this port. */
export const PG_PROXY_PORT = 25442;
export const DATABASE = 'billing_chaos';
/** The suite's own connection (checks, dump, restore): never through the proxy. */
export const DATABASE_URL = `postgres://postgres@127.0.0.1:${PG_PORT}/${DATABASE}`;
export const SERVICE_DATABASE_URL = `postgres://postgres@127.0.0.1:${PG_PROXY_PORT}/${DATABASE}`;

/** Connects to a broker's own listener where its metadata names its proxy: the suite's clients see no injected fault. */
const bypassProxies: ISocketFactory = ({ host, port, onConnect }) => {
  const node = KAFKA_NODES.find((n) => n.advertisedPort === port);
  const socket = net.connect({ host, port: node?.brokerPort ?? port }, onConnect);
  socket.setKeepAlive(true, 10_000);
  return socket;
};

export function kafkaClient(clientId: string, extra: Partial<KafkaConfig> = {}): kafkajs.Kafka {
  return new kafkajs.Kafka({
    clientId,
    brokers: KAFKA_NODES.map((n) => `127.0.0.1:${n.brokerPort}`),
    socketFactory: bypassProxies,
    logLevel: kafkajs.logLevel.NOTHING,
    ...extra,
  });
}

// ---------- leftovers of an interrupted run ----------

interface ChaosState {
  kafkaPids?: number[];
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
  const kafkaPids = [...(state.kafkaPids ?? []), ...(entries.kafkaPids ?? [])];
  fs.writeFileSync(STATE_FILE, JSON.stringify({ ...state, ...entries, consumerPids, kafkaPids }));
}

/** Stops only processes that are provably ours: the pid is recorded and its command line matches. */
export function cleanUpInterruptedRun(log: (message: string) => void): void {
  const state = readState();
  const ours = [
    ...(state.kafkaPids ?? []).filter((pid) => cmdlineOf(pid).includes(CHAOS_DIR)),
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

/** The suite's private cluster; the first start() refuses to run if another chaos run holds its ports. */
export class ChaosKafka extends PrivateKafkaCluster {
  private started = false;

  constructor() {
    super(path.join(CHAOS_DIR, 'kafka'), KAFKA_NODES, (pid) => remember({ kafkaPids: [pid] }));
  }

  override async start(): Promise<void> {
    if (!this.started) {
      for (const n of KAFKA_NODES) {
        for (const port of [n.brokerPort, n.internalPort, n.controllerPort]) {
          if (await portInUse(port)) throw new InfraError(`port ${port} is taken (another chaos run?); the suite needs it for its private brokers`);
        }
      }
      this.started = true;
    }
    await super.start();
  }

  /** The broker that leads `partition` of `topic` now, as the cluster's metadata says. */
  async leaderOf(topic: string, partition: number): Promise<number> {
    const admin = kafkaClient('chaos-leader-lookup', { retry: { retries: 3 } }).admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      return topics[0].partitions.find((p) => p.partitionId === partition)?.leader ?? -1;
    } finally {
      await admin.disconnect();
    }
  }

  /** Stops node `id` (SIGTERM: controlled shutdown; SIGKILL: a crash), leaves it down `downMs`, starts it again. */
  async restartNode(id: number, downMs: number, signal: NodeJS.Signals): Promise<void> {
    await this.stopNode(id, signal);
    await sleep(downMs);
    await this.startNode(id);
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
