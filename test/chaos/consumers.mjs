// Runs the built service as separate OS processes in one consumer group, and records how each one ended.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BROKERS, CHAOS_DIR, SERVICE_DATABASE_URL, remember } from '../../infra/chaos.ts';
import { ROOT, isAlive, sleep } from '../../infra/common.ts';
import { FAULTY_SERVICE, ServiceProcess } from '../support/standalone/service-process.ts';

const READY_TIMEOUT_MS = 90_000;
// A member that stops during a rebalance leaves only once the rebalance is over, which takes up to the 30 s session timeout.
const STOP_TIMEOUT_MS = 60_000;

export class ConsumerFleet {
  processes = new Map(); // slot -> { service, pid, port, crashHook, expected }
  spawned = [];
  events = { killedByUs: 0, crashedByHook: 0, unexpectedExits: [], restarts: 0, starts: 0 };

  constructor({ topic, groupId, partitions, log }) {
    this.topic = topic;
    this.groupId = groupId;
    this.partitions = partitions;
    this.log = log;
    this.jwtSecret = randomBytes(32).toString('hex');
    this.logDir = path.join(CHAOS_DIR, 'logs');
    fs.rmSync(this.logDir, { recursive: true, force: true });
    fs.mkdirSync(this.logDir, { recursive: true });
  }

  running() {
    return [...this.processes.entries()].filter(([, p]) => p.service.running).map(([slot]) => slot);
  }

  /** Starts the service in `slot` and waits until it listens (the consumer is subscribed by then). */
  async start(slot, { crashAfterCommitEvery = 0, mode = 'batch' } = {}) {
    const port = 38100 + slot;
    const env = {
      DATABASE_URL: SERVICE_DATABASE_URL,
      KAFKA_BROKERS: BROKERS.join(','),
      KAFKA_GROUP_ID: this.groupId,
      KAFKA_TOPIC: this.topic,
      KAFKA_TOPIC_PARTITIONS: String(this.partitions),
      KAFKA_CLIENT_ID: `billing-chaos-${slot}`,
      KAFKA_CONSUME_MODE: mode,
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
    const entry = { service, pid: service.pid, port, crashHook: crashAfterCommitEvery > 0, expected: null, logFile, slot };
    entry.exited = service.exited.then(({ code, signal }) => this.onExit(entry, code, signal));
    this.processes.set(slot, entry);
    this.spawned.push(service.pid);
    remember({ consumerPids: [service.pid] });
    this.events.starts++;
    this.log(
      `consumer slot ${slot} started (pid ${service.pid}, ${mode} mode${entry.crashHook ? `, crash after every ${crashAfterCommitEvery}th commit` : ''})`,
    );
    // One that died before it listened is the supervisor's to restart.
    await service.listening(READY_TIMEOUT_MS).catch((error) => {
      throw new Error(`consumer slot ${slot}: ${error.message}`);
    });
    return entry;
  }

  onExit(entry, code, signal) {
    const how = signal ?? `exit ${code}`;
    if (entry.expected === 'kill' && signal === 'SIGKILL') this.events.killedByUs++;
    else if (entry.expected === 'stop' && (code === 0 || signal === 'SIGTERM')) void 0;
    else if (entry.crashHook && signal === 'SIGKILL') this.events.crashedByHook++;
    else this.events.unexpectedExits.push({ slot: entry.slot, pid: entry.pid, how, logTail: entry.service.logTail() });
    this.log(`consumer slot ${entry.slot} (pid ${entry.pid}) ended: ${how}${entry.expected ? ` (${entry.expected})` : ''}`);
    return { code, signal };
  }

  async kill(slot) {
    const entry = this.processes.get(slot);
    entry.expected = 'kill';
    entry.service.kill();
    await entry.exited;
  }

  /** Graceful stop (SIGTERM); a process that ignores it is killed and reported as stuck. */
  async stop(slot) {
    const entry = this.processes.get(slot);
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

  async stopAll() {
    const results = await Promise.all(this.running().map(async (slot) => [slot, await this.stop(slot)]));
    return results.filter(([, ok]) => !ok).map(([slot]) => slot);
  }

  killAllNow() {
    for (const { service } of this.processes.values()) service.kill();
  }

  leftBehind() {
    return this.spawned.filter(isAlive);
  }

  /** What the processes decided, from their JSON logs: replays beyond the published duplicates are redeliveries. */
  outcomes() {
    const counts = {};
    for (const file of fs.readdirSync(this.logDir)) {
      for (const match of fs.readFileSync(path.join(this.logDir, file), 'utf8').matchAll(/"outcome":"([a-z_]+)"/g)) {
        counts[match[1]] = (counts[match[1]] ?? 0) + 1;
      }
    }
    return counts;
  }
}
