// Runs the built service as separate OS processes in one consumer group, and records how each one ended.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BROKERS, CHAOS_DIR, SERVICE_DATABASE_URL, remember } from '../../infra/chaos.ts';
import { ROOT, errorMessage, isAlive, sleep } from '../../infra/common.ts';
import { type Exit, FAULTY_SERVICE, ServiceProcess } from '../support/standalone/service-process.ts';

/** `single`: a transaction per message (KAFKA_BATCH_MAX_EVENTS=1); `groups`: the default groups of fetched batches. */
export type TransactionSize = 'single' | 'groups';

const CONSUMER_BASE_PORT = 29130;

/** One running (or ended) service process in a slot of the group. */
export interface Consumer {
  slot: number;
  service: ServiceProcess;
  pid: number | undefined;
  port: number;
  /** Started with the crash-after-commit hook: a SIGKILL it dies of is the hook's. */
  crashHook: boolean;
  /** How the suite is ending it, so that its exit is not counted as unexpected. */
  expected: 'kill' | 'stop' | null;
  logFile: string;
  exited: Promise<Exit>;
}

export interface UnexpectedExit {
  slot: number;
  pid: number | undefined;
  how: string;
  logTail: string;
}

interface FleetOptions {
  topic: string;
  groupId: string;
  partitions: number;
  log: (message: string) => void;
}

const READY_TIMEOUT_MS = 90_000;
// A member that stops during a rebalance leaves only once the rebalance is over, which takes up to the 30 s session timeout.
const STOP_TIMEOUT_MS = 60_000;

export class ConsumerFleet {
  processes = new Map<number, Consumer>();
  spawned: number[] = [];
  events = { killedByUs: 0, crashedByHook: 0, unexpectedExits: [] as UnexpectedExit[], restarts: 0, starts: 0 };
  private readonly topic: string;
  private readonly groupId: string;
  private readonly partitions: number;
  private readonly log: (message: string) => void;
  private readonly jwtSecret: string;
  private readonly logDir: string;

  constructor({ topic, groupId, partitions, log }: FleetOptions) {
    this.topic = topic;
    this.groupId = groupId;
    this.partitions = partitions;
    this.log = log;
    this.jwtSecret = randomBytes(32).toString('hex');
    this.logDir = path.join(CHAOS_DIR, 'logs');
    fs.rmSync(this.logDir, { recursive: true, force: true });
    fs.mkdirSync(this.logDir, { recursive: true });
  }

  running(): number[] {
    return [...this.processes.entries()].filter(([, p]) => p.service.running).map(([slot]) => slot);
  }

  /** Starts the service in `slot` and waits until it listens (the consumer is subscribed by then). */
  async start(
    slot: number,
    { crashAfterCommitEvery = 0, mode = 'groups' }: { crashAfterCommitEvery?: number; mode?: TransactionSize } = {},
  ): Promise<Consumer> {
    // Below Linux's ephemeral range (32768-60999), like the suite's broker and database ports: a slot keeps its
    // port across restarts, and a port in that range can be held by any outgoing connection while the slot is down.
    const port = CONSUMER_BASE_PORT + slot;
    const env = {
      DATABASE_URL: SERVICE_DATABASE_URL,
      KAFKA_BROKERS: BROKERS.join(','),
      KAFKA_GROUP_ID: this.groupId,
      KAFKA_TOPIC: this.topic,
      KAFKA_TOPIC_PARTITIONS: String(this.partitions),
      KAFKA_CLIENT_ID: `billing-chaos-${slot}`,
      ...(mode === 'single' && { KAFKA_BATCH_MAX_EVENTS: '1' }),
      // A SIGKILLed member holds its partitions for the session timeout; 10 s keeps the group consuming between faults.
      KAFKA_SESSION_TIMEOUT_MS: '10000',
      AUTH_JWT_SECRET: this.jwtSecret,
      PORT: String(port),
      ...(crashAfterCommitEvery > 0 ? { BILLING_CHAOS_CRASH_AFTER_COMMIT_EVERY: String(crashAfterCommitEvery) } : {}),
    };
    const logFile = path.join(this.logDir, `consumer-${slot}.log`);
    fs.appendFileSync(logFile, `\n=== start slot ${slot} at ${new Date().toISOString()} mode=${mode} crashAfterCommitEvery=${crashAfterCommitEvery}\n`);
    // The crash hook is test code: the tests' entry point plugs it into the built service.
    const service = new ServiceProcess({ cwd: ROOT, env, logFile, ...(crashAfterCommitEvery > 0 && { script: FAULTY_SERVICE }) });
    const entry: Consumer = { service, pid: service.pid, port, crashHook: crashAfterCommitEvery > 0, expected: null, logFile, slot, exited: service.exited };
    entry.exited = service.exited.then(({ code, signal }) => this.onExit(entry, code, signal));
    this.processes.set(slot, entry);
    if (service.pid !== undefined) {
      this.spawned.push(service.pid);
      remember({ consumerPids: [service.pid] });
    }
    this.events.starts++;
    this.log(
      `consumer slot ${slot} started (pid ${service.pid}, ${mode === 'single' ? 'a transaction per message' : 'groups'}${entry.crashHook ? `, crash after every ${crashAfterCommitEvery}th commit` : ''})`,
    );
    // One that died before it listened is the supervisor's to restart.
    await service.listening(READY_TIMEOUT_MS).catch((error: unknown) => {
      throw new Error(`consumer slot ${slot}: ${errorMessage(error)}`);
    });
    return entry;
  }

  onExit(entry: Consumer, code: number | null, signal: NodeJS.Signals | null): Exit {
    const how = signal ?? `exit ${code}`;
    if (entry.expected === 'kill' && signal === 'SIGKILL') this.events.killedByUs++;
    else if (entry.expected === 'stop' && (code === 0 || signal === 'SIGTERM')) void 0;
    else if (entry.crashHook && signal === 'SIGKILL') this.events.crashedByHook++;
    else this.events.unexpectedExits.push({ slot: entry.slot, pid: entry.pid, how, logTail: entry.service.logTail() });
    this.log(`consumer slot ${entry.slot} (pid ${entry.pid}) ended: ${how}${entry.expected ? ` (${entry.expected})` : ''}`);
    return { code, signal };
  }

  async kill(slot: number): Promise<void> {
    const entry = this.entry(slot);
    entry.expected = 'kill';
    entry.service.kill();
    await entry.exited;
  }

  /** Graceful stop (SIGTERM); a process that ignores it is killed and reported as stuck. */
  async stop(slot: number): Promise<boolean> {
    const entry = this.entry(slot);
    if (!entry.service.running) return true;
    entry.expected = 'stop';
    entry.service.terminate();
    const stopped = await Promise.race([entry.exited.then(() => true), sleep(STOP_TIMEOUT_MS).then(() => false)]);
    if (!stopped) {
      entry.expected = 'kill';
      entry.service.kill();
      await entry.exited;
    }
    return stopped;
  }

  async stopAll(): Promise<number[]> {
    const results = await Promise.all(this.running().map(async (slot) => [slot, await this.stop(slot)] as const));
    return results.filter(([, ok]) => !ok).map(([slot]) => slot);
  }

  private entry(slot: number): Consumer {
    const entry = this.processes.get(slot);
    if (!entry) throw new Error(`no consumer was started in slot ${slot}`);
    return entry;
  }

  killAllNow(): void {
    for (const { service } of this.processes.values()) service.kill();
  }

  leftBehind(): number[] {
    return this.spawned.filter(isAlive);
  }

  /** What the processes decided, from their JSON logs: replays beyond the published duplicates are redeliveries. */
  outcomes(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const file of fs.readdirSync(this.logDir)) {
      for (const match of fs.readFileSync(path.join(this.logDir, file), 'utf8').matchAll(/"outcome":"([a-z_]+)"/g)) {
        counts[match[1]] = (counts[match[1]] ?? 0) + 1;
      }
    }
    return counts;
  }
}
