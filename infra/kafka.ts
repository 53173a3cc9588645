// A Kafka broker (KRaft, one node) run from Maven-resolved jars, no Docker: the shared one, the chaos suite's and
// the secured one differ only in their directory, listeners and how they are started and stopped.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Admin, KafkaConfig } from 'kafkajs';
import kafkajs from './kafkajs.ts';
import { checkTool, InfraError, KAFKA_CONFIG, log, runAsync, sleep, STATE_DIR, tail } from './common.ts';

const CLASSPATH_DIR = path.join(STATE_DIR, 'kafka');

/** Runtime classpath of the broker, resolved by Maven once per version of infra/kafka/pom.xml. */
export function kafkaClasspath(): string {
  const pom = path.join(KAFKA_CONFIG, 'pom.xml');
  const cpFile = path.join(CLASSPATH_DIR, 'classpath.txt');
  const hashFile = path.join(CLASSPATH_DIR, 'classpath.sha256');
  const hash = createHash('sha256').update(fs.readFileSync(pom)).digest('hex');
  if (fs.existsSync(cpFile) && fs.existsSync(hashFile) && fs.readFileSync(hashFile, 'utf8') === hash) {
    const cp = fs.readFileSync(cpFile, 'utf8').trim();
    // The cache is only good while the jars are still in the local Maven repository.
    if (cp && cp.split(path.delimiter).every((jar) => fs.existsSync(jar))) return cp;
  }
  checkTool('mvn', ['-v'], 'Install Maven 3.6+ (Debian: apt-get install maven) to fetch the Kafka jars.');
  fs.mkdirSync(CLASSPATH_DIR, { recursive: true });
  log('resolving Kafka jars with Maven (first run only)...');
  const args = ['-B', '-q', '-Dstyle.color=never', '-f', pom, 'dependency:build-classpath', '-Dmdep.includeScope=runtime', `-Dmdep.outputFile=${cpFile}`];
  const r = spawnSync('mvn', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new InfraError(`Maven could not resolve the Kafka classpath (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  fs.writeFileSync(hashFile, hash);
  return fs.readFileSync(cpFile, 'utf8').trim();
}

/** Same shape as Kafka's Uuid.randomUuid(): 16 random bytes, base64url; a leading '-' would read as a CLI flag. */
export function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Runs `work` with an admin client that tries once and logs nothing: for probes. */
export async function withProbeAdmin<T>(client: KafkaConfig, work: (admin: Admin) => Promise<T>): Promise<T> {
  const kafka = new kafkajs.Kafka({ connectionTimeout: 2000, requestTimeout: 2000, ...client, retry: { retries: 0 }, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  try {
    await admin.connect();
    return await work(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** True when the brokers answer a metadata request (one short attempt). */
export function kafkaAnswers(client: KafkaConfig): Promise<boolean> {
  return withProbeAdmin(client, async (admin) => (await admin.describeCluster()).brokers.length > 0).catch(() => false);
}

/**
 * True when the brokers answer and a consumer group has a coordinator (one short attempt). On a fresh broker the
 * coordinator appears only once the offsets topic exists; until then the first group to join gets a retried error.
 */
export function kafkaServesGroups(client: KafkaConfig): Promise<boolean> {
  return withProbeAdmin(client, async (admin) => (await admin.describeCluster(), await admin.fetchOffsets({ groupId: 'infra-warm-up' }), true)).catch(
    () => false,
  );
}

/** One broker's files: its server.properties, data and logs under `dir`. */
export class KafkaBroker {
  readonly dir: string;
  readonly logs: string;
  readonly props: string;
  private cp = '';

  constructor(dir: string) {
    this.dir = dir;
    this.logs = path.join(dir, 'logs');
    this.props = path.join(dir, 'server.properties');
  }

  /** The repository's server.properties with `overrides` in place of the keys they name, and log.dirs in `dir`. */
  writeProperties(overrides: Record<string, string> = {}): void {
    fs.mkdirSync(this.logs, { recursive: true });
    const base = fs
      .readFileSync(path.join(KAFKA_CONFIG, 'server.properties'), 'utf8')
      .trimEnd()
      .split('\n')
      .filter((line) => !(line.split('=')[0] in overrides));
    const lines = [...base, ...Object.entries(overrides).map(([key, value]) => `${key}=${value}`), `log.dirs=${path.join(this.dir, 'data')}`];
    fs.writeFileSync(this.props, `${lines.join('\n')}\n`);
  }

  classpath(): string {
    if (!this.cp) {
      checkTool('java', ['-version'], 'Install a JDK/JRE 17 (Debian: apt-get install openjdk-17-jre-headless).');
      this.cp = kafkaClasspath();
    }
    return this.cp;
  }

  javaArgs(mainClass: string, ...args: string[]): string[] {
    return [
      '-cp',
      this.classpath(),
      `-Dlog4j.configuration=file:${path.join(KAFKA_CONFIG, 'log4j.properties')}`,
      `-Dkafka.logs.dir=${this.logs}`,
      '-Djava.awt.headless=true',
      mainClass,
      ...args,
    ];
  }

  /** Formats the storage once; `extra` are StorageTool arguments such as --add-scram. Nodes of one cluster share `id`. */
  async format(extra: string[] = [], id = clusterId()): Promise<void> {
    if (fs.existsSync(path.join(this.dir, 'data', 'meta.properties'))) return;
    await runAsync('java', this.javaArgs('kafka.tools.StorageTool', 'format', '-t', id, '-c', this.props, '--ignore-formatted', ...extra));
  }

  /** The Raft leader this node last knew of, with its epoch (KRaft writes quorum-state on every election). */
  quorumState(): { leaderId: number; leaderEpoch: number } | undefined {
    try {
      const state = JSON.parse(fs.readFileSync(path.join(this.dir, 'data', '__cluster_metadata-0', 'quorum-state'), 'utf8')) as Record<string, unknown>;
      return typeof state.leaderId === 'number' && typeof state.leaderEpoch === 'number'
        ? { leaderId: state.leaderId, leaderEpoch: state.leaderEpoch }
        : undefined;
    } catch {
      return undefined;
    }
  }

  /** Starts the JVM, output appended to logs/kafka.out. `detached`: it outlives this process (the shared broker). */
  spawn(jvm: string[], detached = false): ChildProcess {
    const out = fs.openSync(path.join(this.logs, 'kafka.out'), 'a');
    const child = spawn('java', [...jvm, ...this.javaArgs('kafka.Kafka', this.props)], { cwd: this.dir, detached, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    return child;
  }

  logTail(lines = 30): string {
    return ['kafka.out', 'server.log']
      .map((name) => path.join(this.logs, name))
      .filter((file) => fs.existsSync(file) && fs.statSync(file).size > 0)
      .map((file) => `--- ${file} (last ${lines} lines) ---\n${tail(file, lines)}`)
      .join('\n');
  }
}

/** SIGTERM is a controlled shutdown; SIGKILL a crash. A child that ignores SIGTERM for `graceMs` is killed. */
export async function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM', graceMs = 30_000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const timedOut = await Promise.race([exited.then(() => false), sleep(graceMs).then(() => true)]);
  if (timedOut) {
    child.kill('SIGKILL');
    await exited;
  }
}

// ---------- a private cluster ----------

/** The ports of one node of a private cluster; clients reach it at `advertisedPort` (a fault proxy in front of it). */
export interface KafkaNodePorts {
  id: number;
  brokerPort: number;
  controllerPort: number;
  /** Replication between the brokers: not behind the proxy, so a fault injected for clients leaves the ISR alone. */
  internalPort: number;
  advertisedPort: number;
}

/** -XX:TieredStopAtLevel=1 and a small heap: a test broker starts faster and leaves the CPUs to the tests. */
const TEST_BROKER_JVM = ['-Xmx320m', '-Xms64m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];

/**
 * A private KRaft cluster of 1 to 3 nodes, each broker and controller, for the tests that kill, restart and cut off
 * brokers: replication factor = nodes, min.insync.replicas 2 (1 for a single node), no unclean leader election.
 * Each node advertises the address its clients must use (a FaultProxy), not its own listener.
 */
export class PrivateKafkaCluster {
  readonly dir: string;
  readonly nodes: readonly KafkaNodePorts[];
  readonly brokers: Map<number, KafkaBroker>;
  readonly pids: number[] = [];
  private readonly children = new Map<number, ChildProcess>();
  private readonly onSpawn: (pid: number) => void;
  private formatted = false;

  constructor(dir: string, nodes: readonly KafkaNodePorts[], onSpawn: (pid: number) => void = () => undefined) {
    this.dir = dir;
    this.nodes = nodes;
    this.onSpawn = onSpawn;
    this.brokers = new Map(nodes.map((n) => [n.id, new KafkaBroker(path.join(dir, `node-${n.id}`))]));
  }

  /** What clients bootstrap from: every node's advertised address. */
  get bootstrap(): string[] {
    return this.nodes.map((n) => `127.0.0.1:${n.advertisedPort}`);
  }

  /** The first call creates the cluster afresh; later ones restart stopped nodes on their data. */
  async start(): Promise<void> {
    if (!this.formatted) await this.format();
    await Promise.all(this.nodes.filter((n) => !this.isRunning(n.id)).map((n) => this.startNode(n.id)));
  }

  async startNode(id: number): Promise<void> {
    const broker = this.broker(id);
    const node = this.nodes.find((n) => n.id === id)!;
    const child = broker.spawn(TEST_BROKER_JVM);
    this.children.set(id, child);
    if (child.pid) {
      this.pids.push(child.pid);
      this.onSpawn(child.pid);
    }
    const deadline = Date.now() + 120_000;
    // Its own listener, not the advertised one: the proxy in front may be injecting a fault.
    while (!(await kafkaAnswers({ brokers: [`127.0.0.1:${node.brokerPort}`] }))) {
      if (child.exitCode !== null) throw new InfraError(`Kafka node ${id} exited during startup:\n${broker.logTail()}`);
      if (Date.now() > deadline) throw new InfraError(`Kafka node ${id} not ready within 120 s:\n${broker.logTail()}`);
      await sleep(250);
    }
  }

  /** SIGTERM is a controlled shutdown (leadership moves first); SIGKILL a crash. */
  async stopNode(id: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await stopChild(this.children.get(id), signal, 60_000);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.stopNode(n.id, signal)));
  }

  isRunning(id: number): boolean {
    const child = this.children.get(id);
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** The active controller as the running nodes last saw it elected (highest epoch wins). */
  activeController(): number | undefined {
    const states = this.nodes.filter((n) => this.isRunning(n.id)).map((n) => this.broker(n.id).quorumState());
    const newest = states.filter((s) => s !== undefined && s.leaderId >= 0).sort((a, b) => b!.leaderEpoch - a!.leaderEpoch)[0];
    return newest?.leaderId;
  }

  broker(id: number): KafkaBroker {
    const broker = this.brokers.get(id);
    if (!broker) throw new InfraError(`no Kafka node ${id}`);
    return broker;
  }

  logTail(): string {
    return [...this.brokers.values()].map((b) => b.logTail(15)).join('\n');
  }

  private async format(): Promise<void> {
    fs.rmSync(this.dir, { recursive: true, force: true });
    const voters = this.nodes.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(',');
    const replicas = String(this.nodes.length);
    const minIsr = String(Math.min(2, this.nodes.length));
    const id = clusterId();
    await Promise.all(
      this.nodes.map((n) => {
        const broker = this.broker(n.id);
        broker.writeProperties({
          'node.id': String(n.id),
          'controller.quorum.voters': voters,
          listeners: `PLAINTEXT://127.0.0.1:${n.brokerPort},INTERNAL://127.0.0.1:${n.internalPort},CONTROLLER://127.0.0.1:${n.controllerPort}`,
          'advertised.listeners': `PLAINTEXT://127.0.0.1:${n.advertisedPort},INTERNAL://127.0.0.1:${n.internalPort}`,
          'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT',
          'inter.broker.listener.name': 'INTERNAL',
          'default.replication.factor': replicas,
          'offsets.topic.replication.factor': replicas,
          'offsets.topic.num.partitions': '6',
          'transaction.state.log.replication.factor': replicas,
          'transaction.state.log.min.isr': minIsr,
          'min.insync.replicas': minIsr,
          'unclean.leader.election.enable': 'false',
        });
        return broker.format([], id);
      }),
    );
    this.formatted = true;
  }
}
