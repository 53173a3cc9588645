// Chaos suite: the built service as 2-3 OS processes in one group, on a private three-broker Kafka and a private
// PostgreSQL, each behind a fault proxy, while consumers are SIGKILLed (one of them right after a database commit,
// before its offset commit), the group is scaled up and down, the database crashes and is restored, the leader of a
// busy partition and the active controller are killed, the brokers restart one by one, and the network to one broker
// and to the database goes silent, partitions or resets. Every fault must be recovered from within 30 s of clearing.
// It then proves: one invoice per (tenant, order), every valid event claimed, every poison message
// on the DLT and nothing else there, lag 0, no process left behind, and every invoice (and nothing else)
// announced on invoice.created by the outbox relay.
// Usage: npm run test:chaos [-- --seed N]   (or CHAOS_SEED=N)
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import kafkajs, { type Admin } from 'kafkajs';
import pg from 'pg';
import { type AnnouncementVerdict, OUTBOX_TOPIC, verifyAnnouncements } from './announcements.ts';
import type { BuiltCompleteSend, BuiltKafkaAdapter, BuiltKafkaProducer, BuiltKafkaTopics } from './built-service-types.ts';
import { type Consumer, ConsumerFleet } from './consumers.ts';
import { CHAOS_DIR, ChaosKafka, DATABASE, DATABASE_URL, KAFKA_NODES, chaosPostgres, cleanUpInterruptedRun, kafkaClient } from '../../infra/chaos.ts';
import type { PrivatePostgres } from '../../infra/postgres.ts';
import type { FaultProxy } from '../support/standalone/fault-proxy.ts';
import { MAX_RECOVERY_MS, type Proxies, RecoveryClock, startProxies } from './network.ts';
import { ROOT, errorMessage, isAlive, sleep } from '../../infra/common.ts';
import { readWholeTopic } from './topic-reader.ts';
import { hostileMessages, type Random, seededRandom } from '../support/standalone/hostile-messages.ts';
import { type SendCodec, sendCodecs } from '../support/standalone/send-codecs.ts';
import { buildWorkload, type Workload } from './workload.ts';

const TOPIC = 'order.completed';
const DLT = `${TOPIC}.dlt`;
const GROUP = 'billing-chaos';
const PARTITIONS = 8;
const WINDOW_MS = 70_000;
const KILLS = 5;
/** A planned kill that finds every consumer down (crashed by the hook, or restarting) waits this long for one. */
const KILL_WAIT_MS = 20_000;
const HARD_TIMEOUT_MS = 12 * 60_000;
const CONVERGE_TIMEOUT_MS = 4 * 60_000;
const MAX_RESTARTS_PER_SLOT = 12;
const BACKUP_FILE = path.join(CHAOS_DIR, 'billing-backup.dump');
/** About 1.5% of the messages: every shape of the e2e tests' hostile generator, valid ones included. */
const HOSTILE_MESSAGES = 300;

const started = Date.now();
const log = (msg: string): void => console.log(`[chaos +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);

function readSeed(): number {
  const i = process.argv.indexOf('--seed');
  const raw = i > 0 ? process.argv[i + 1] : process.env.CHAOS_SEED;
  if (raw === undefined || raw === '') return 1 + Math.floor(Math.random() * 2 ** 31);
  if (!/^\d+$/.test(raw)) throw new Error(`seed must be a non-negative integer, got "${raw}"`);
  return Number(raw);
}

function run(what: string, cmd: string, args: string[], env: Record<string, string> = {}): void {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}):\n${r.stdout}${r.stderr}`);
}

/** A module of the built service, as `npm run build` wrote it. */
async function built<T>(module: string): Promise<T> {
  return (await import(pathToFileURL(path.join(ROOT, 'dist', 'src', module)).href)) as T;
}

// ---------- producer ----------

interface Publishing {
  /** The codec of each next send. */
  codecOfSend: () => SendCodec;
  onProgress: (published: number) => void;
}

async function publishAll(workload: Workload, { codecOfSend, onProgress }: Publishing): Promise<void> {
  const { sendCompletely } = await built<BuiltCompleteSend>('kafka/complete-send.js');
  const { KafkajsProducer } = await built<BuiltKafkaProducer>('kafka/kafka-producer.js');
  const producer = new KafkajsProducer(
    kafkaClient('chaos-producer', { retry: { retries: 5, initialRetryTime: 200 } }).producer({
      allowAutoTopicCreation: false,
      createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
    }),
  );
  await producer.connect();
  const t0 = Date.now();
  let next = 0;
  let failingSince: number | null = null;
  const { messages } = workload;
  try {
    while (next < messages.length) {
      const now = Date.now() - t0;
      let end = next;
      while (end < messages.length && messages[end].dueMs <= now && end - next < 1000) end++;
      if (end === next) {
        await sleep(Math.min(100, messages[next].dueMs - now));
        continue;
      }
      const batch = messages.slice(next, end).map((m) => ({ key: m.key, value: m.value, headers: { 'x-chaos-id': m.chaosId } }));
      const codec = codecOfSend();
      try {
        // kafkajs may report a send done that skipped a partition whose leader moved: checked, and resent if so.
        await sendCompletely(producer, { topic: TOPIC, acks: -1, compression: codec, messages: batch }, PARTITIONS);
        workload.sendsByCodec[codec] = (workload.sendsByCodec[codec] ?? 0) + 1;
        failingSince = null;
        next = end;
        onProgress(next);
      } catch (error) {
        // A resend after a failed send may duplicate messages: exactly the producer retry the service must absorb.
        failingSince ??= Date.now();
        if (Date.now() - failingSince > 120_000) throw new Error(`producer could not publish for 120 s: ${errorMessage(error)}`);
        await sleep(1000);
      }
    }
  } finally {
    await producer.disconnect().catch(() => {});
  }
}

// ---------- faults ----------

type BrokerFault = 'leader-kill' | 'controller-kill' | 'rolling-restart' | 'broker-silence' | 'broker-partition' | 'broker-reset';
type OtherFault = 'kill' | 'scale-up' | 'scale-down' | 'pg-restart' | 'pg-backup' | 'pg-restore' | 'pg-silence';

/** One fault of the plan, `atMs` after the start; `downMs`, `forMs` and `node` where the action takes them. */
interface Step {
  atMs: number;
  action: BrokerFault | OtherFault;
  downMs?: number;
  forMs?: number;
  node?: number;
}

const BROKER_FAULTS: readonly string[] = ['leader-kill', 'controller-kill', 'rolling-restart', 'broker-silence', 'broker-partition', 'broker-reset'];

function faultPlan(rng: Random): Step[] {
  const kills: Step[] = [];
  for (let i = 0; i < KILLS; i++) kills.push({ atMs: 6_000 + i * 14_000 + rng.int(0, 8_000), action: 'kill' });
  const plan: Step[] = [
    ...kills,
    { atMs: rng.int(16_000, 24_000), action: 'scale-up' },
    { atMs: rng.int(30_000, 38_000), action: 'pg-restart', downMs: rng.int(2_000, 6_000) },
    { atMs: rng.int(46_000, 50_000), action: 'pg-backup' },
    { atMs: rng.int(48_000, 56_000), action: 'scale-down' },
    { atMs: rng.int(70_000, 74_000), action: 'pg-restore' },
    // Broker faults queue behind each other (one broker down at a time: min.insync.replicas is 2) but not behind the rest.
    { atMs: rng.int(8_000, 12_000), action: 'leader-kill', downMs: rng.int(1_000, 4_000) },
    { atMs: rng.int(22_000, 26_000), action: 'broker-silence', node: rng.pick(KAFKA_NODES).id },
    { atMs: rng.int(36_000, 40_000), action: 'controller-kill', downMs: rng.int(1_000, 4_000) },
    { atMs: rng.int(44_000, 48_000), action: 'broker-partition', node: rng.pick(KAFKA_NODES).id, forMs: rng.int(4_000, 8_000) },
    { atMs: rng.int(52_000, 56_000), action: 'pg-silence' },
    { atMs: rng.int(58_000, 60_000), action: 'broker-reset', node: rng.pick(KAFKA_NODES).id },
    { atMs: rng.int(62_000, 66_000), action: 'rolling-restart' },
  ];
  return plan.sort((a, b) => a.atMs - b.atMs);
}

class Chaos {
  infraRestarts = 0;
  infraDown = false;
  desired = new Set([1, 2]);
  hookCrashesAllowed = 2;
  faultsOver = false;
  restartsBySlot = new Map<number, number>();
  closing = false;

  brokerFaults = Promise.resolve();
  networkFaults = 0;

  private readonly rng: Random;
  private readonly fleet: ConsumerFleet;
  private readonly kafka: ChaosKafka;
  private readonly postgres: PrivatePostgres;
  private readonly proxies: Proxies;
  private readonly recovery: RecoveryClock;

  constructor(rng: Random, fleet: ConsumerFleet, kafka: ChaosKafka, postgres: PrivatePostgres, proxies: Proxies, recovery: RecoveryClock) {
    this.rng = rng;
    this.fleet = fleet;
    this.kafka = kafka;
    this.postgres = postgres;
    this.proxies = proxies;
    this.recovery = recovery;
  }

  /** Broker faults run one after the other, in the background of the rest of the plan. */
  queueBrokerFault(step: Step): void {
    this.brokerFaults = this.brokerFaults.then(() => {
      this.recovery.injected();
      return this.brokerFault(step)
        .catch((error: unknown) => log(`broker fault ${step.action} failed: ${errorMessage(error)}`))
        .finally(() => this.recovery.cleared(step.action));
    });
  }

  async brokerFault(step: Step): Promise<void> {
    switch (step.action) {
      case 'leader-kill': {
        const leader = Math.max(1, await this.kafka.leaderOf(TOPIC, 0));
        log(`fault: SIGKILL broker ${leader}, leader of ${TOPIC}/0, down ${step.downMs} ms`);
        await this.kafka.restartNode(leader, step.downMs ?? 0, 'SIGKILL');
        this.infraRestarts++;
        return log(`broker ${leader} back`);
      }
      case 'controller-kill': {
        const controller = this.kafka.activeController() ?? 1;
        log(`fault: SIGKILL broker ${controller}, the active controller, down ${step.downMs} ms`);
        await this.kafka.restartNode(controller, step.downMs ?? 0, 'SIGKILL');
        this.infraRestarts++;
        return log(`broker ${controller} back`);
      }
      case 'rolling-restart': {
        for (const { id } of KAFKA_NODES) {
          log(`fault: rolling restart, broker ${id} (SIGTERM)`);
          await this.kafka.restartNode(id, 0, 'SIGTERM');
        }
        this.infraRestarts++;
        return log('rolling restart done');
      }
      case 'broker-silence':
        log(`fault: the service's connections to broker ${step.node} go silent for good (new ones work)`);
        this.networkFaults++;
        return this.brokerProxy(step).silenceExisting();
      case 'broker-partition': {
        log(`fault: broker ${step.node} cut off from the service for ${step.forMs} ms (its connections stay silent after)`);
        const proxy = this.brokerProxy(step);
        proxy.silenceAll();
        await sleep(step.forMs ?? 0);
        proxy.heal();
        this.networkFaults++;
        return log(`broker ${step.node} reachable again`);
      }
      case 'broker-reset':
        log(`fault: every connection of the service to broker ${step.node} reset`);
        this.networkFaults++;
        return this.brokerProxy(step).resetAll();
    }
  }

  private brokerProxy(step: Step): FaultProxy {
    const proxy = step.node === undefined ? undefined : this.proxies.brokers.get(step.node);
    if (!proxy) throw new Error(`${step.action}: no proxy for broker ${step.node}`);
    return proxy;
  }

  /**
   * Slots 1 (a transaction per message, one commit per event) and 2 (groups, one commit per group of batches) die
   * right after a database commit every so often, until the suite has seen enough of those crashes.
   * Each crash stalls the group for a session timeout (30 s), so none are armed for the final catch-up.
   */
  hookSetting(slot: number): number {
    if (this.faultsOver || this.fleet.events.crashedByHook >= this.hookCrashesAllowed) return 0;
    if (slot === 1) return this.rng.int(200, 600);
    return slot === 2 ? this.rng.int(15, 40) : 0;
  }

  /** A supervisor: a desired slot whose process died comes back after a short pause (and once the infra is up). */
  watch(entry: Consumer): void {
    void entry.exited.then(async () => {
      if (this.closing || !this.desired.has(entry.slot) || entry.expected === 'stop') return;
      const restarts = (this.restartsBySlot.get(entry.slot) ?? 0) + 1;
      this.restartsBySlot.set(entry.slot, restarts);
      if (restarts > MAX_RESTARTS_PER_SLOT) return log(`slot ${entry.slot} restarted too often; leaving it down`);
      await sleep(this.rng.int(500, 3_000));
      while (this.infraDown && !this.closing) await sleep(200);
      if (this.closing || !this.desired.has(entry.slot) || this.fleet.running().includes(entry.slot)) return;
      this.fleet.events.restarts++;
      await this.startSlot(entry.slot, this.hookSetting(entry.slot)).catch((error: unknown) =>
        log(`restart of slot ${entry.slot} failed: ${errorMessage(error)}`),
      );
    });
  }

  /** Slot 1 commits each message on its own (KAFKA_BATCH_MAX_EVENTS=1), the others commit groups: a mixed group, as in a rolling upgrade. */
  async startSlot(slot: number, crashAfterCommitEvery = 0): Promise<void> {
    this.watch(await this.fleet.start(slot, { crashAfterCommitEvery, mode: slot === 1 ? 'single' : 'groups' }));
  }

  async execute(step: Step): Promise<void> {
    if (BROKER_FAULTS.includes(step.action)) {
      return this.queueBrokerFault(step);
    }
    const timed = ['pg-restart', 'pg-restore', 'pg-silence'].includes(step.action);
    if (timed) this.recovery.injected();
    try {
      await this.fault(step);
    } finally {
      if (timed) this.recovery.cleared(step.action);
    }
  }

  /** The running consumers once one is (the supervisor restarts crashed ones), or none after KILL_WAIT_MS. */
  private async someConsumerRunning(): Promise<number[]> {
    const deadline = Date.now() + KILL_WAIT_MS;
    while (Date.now() < deadline) {
      await sleep(100);
      const running = this.fleet.running();
      if (running.length > 0) return running;
    }
    return [];
  }

  async fault(step: Step): Promise<void> {
    const running = this.fleet.running();
    switch (step.action) {
      case 'kill': {
        const alive = running.length > 0 ? running : await this.someConsumerRunning();
        if (alive.length === 0) return log(`kill: no consumer running for ${KILL_WAIT_MS} ms, skipped`);
        const slot = this.rng.pick(alive);
        log(`fault: SIGKILL consumer slot ${slot}`);
        return this.fleet.kill(slot);
      }
      case 'scale-up': {
        const slot = [1, 2, 3].find((s) => !this.desired.has(s));
        if (slot === undefined) return log('scale up: every slot is desired already, skipped');
        log(`fault: scale up, slot ${slot}`);
        this.desired.add(slot);
        return this.startSlot(slot);
      }
      case 'scale-down': {
        const slot = this.rng.pick([...this.desired]);
        log(`fault: scale down, stopping slot ${slot} (SIGTERM)`);
        this.desired.delete(slot);
        await this.fleet.stop(slot);
        return;
      }
      case 'pg-restart': {
        log(`fault: PostgreSQL crash (stop -m immediate), down ${step.downMs} ms`);
        this.infraDown = true;
        try {
          await this.postgres.restart(step.downMs ?? 0, 'immediate');
        } finally {
          this.infraDown = false;
        }
        this.infraRestarts++;
        return log('PostgreSQL back');
      }
      case 'pg-backup': {
        log('fault: pg_dump of the billing database, to be restored later');
        for (let attempt = 1; ; attempt++) {
          try {
            return run('pg_dump', 'pg_dump', ['--format=custom', `--file=${BACKUP_FILE}`, DATABASE_URL]);
          } catch (error) {
            if (attempt === 10) throw error;
            await sleep(1_000);
          }
        }
      }
      case 'pg-restore': {
        // As an operator would: stop the service, restore, start it again. Kafka's committed offsets are now ahead
        // of the restored data; only the offsets stored with the data tell the consumers what was lost.
        log('fault: PostgreSQL restored from the earlier backup (every consumer SIGKILLed first, restarted after)');
        this.infraDown = true;
        try {
          await Promise.all(running.map((slot) => this.fleet.kill(slot)));
          run('pg_restore', 'pg_restore', ['--clean', '--if-exists', '--single-transaction', `--dbname=${DATABASE_URL}`, BACKUP_FILE]);
        } finally {
          this.infraDown = false;
        }
        this.infraRestarts++;
        return log('PostgreSQL restored');
      }
      case 'pg-silence':
        log("fault: PostgreSQL failover: the service's connections go silent for good (new ones work)");
        this.networkFaults++;
        return this.proxies.postgres.silenceExisting();
    }
  }

  async runPlan(plan: readonly Step[], t0: number): Promise<void> {
    for (const step of plan) {
      const wait = step.atMs - (Date.now() - t0);
      if (wait > 0) await sleep(wait);
      await this.execute(step);
    }
    await this.brokerFaults;
  }
}

// ---------- checks ----------

async function groupLag(admin: Admin): Promise<number> {
  const ends = await admin.fetchTopicOffsets(TOPIC);
  const [committed] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
  const byPartition = new Map(committed.partitions.map((p) => [p.partition, Number(p.offset)]));
  return ends.reduce((sum, p) => {
    const done = byPartition.get(p.partition) ?? -1;
    return sum + Number(p.high) - (done < 0 ? Number(p.low) : done);
  }, 0);
}

async function waitForZeroLag(admin: Admin, fleet: ConsumerFleet): Promise<number> {
  const deadline = Date.now() + CONVERGE_TIMEOUT_MS;
  let zeroes = 0;
  let lastLogged = 0;
  while (Date.now() < deadline) {
    let lag: number | string;
    try {
      lag = await groupLag(admin);
    } catch (error) {
      lag = `unknown (${errorMessage(error)})`;
    }
    zeroes = lag === 0 ? zeroes + 1 : 0;
    if (zeroes >= 3) return 0;
    if (Date.now() - lastLogged > 10_000) {
      log(`waiting for the group to catch up: lag ${lag}, consumers running ${fleet.running().join(',') || 'none'}`);
      lastLogged = Date.now();
    }
    await sleep(2_000);
  }
  return groupLag(admin);
}

async function readDeadLetters(admin: Admin): Promise<{ ids: string[]; withoutReason: string[] }> {
  const ids: string[] = [];
  const withoutReason: string[] = [];
  await readWholeTopic(admin, DLT, { clientId: 'chaos-dlt-reader', timeoutMs: 60_000 }, (partition, message) => {
    const header = (name: string): string | undefined => message.headers?.[name]?.toString();
    const id = header('x-chaos-id') ?? `(no x-chaos-id at ${partition}/${message.offset})`;
    ids.push(id);
    if (!header('x-dlt-reason') || header('x-dlt-source-topic') !== TOPIC) withoutReason.push(id);
  });
  return { ids, withoutReason };
}

interface Verdict {
  problems: string[];
  lost: number;
  double: number;
  invoices: number;
  dlt: number;
  dltCopies: number;
}

interface InvoiceRow {
  tenant_id: string;
  order_id: string;
  event_id: string;
  amount: string;
  currency: string;
}

async function verify(workload: Workload, admin: Admin): Promise<Verdict> {
  const db = new pg.Client({ connectionString: DATABASE_URL });
  await db.connect();
  const claimed = new Set((await db.query<{ id: string }>('select event_id::text as id from processed_events')).rows.map((r) => r.id));
  const invoices = (await db.query<InvoiceRow>('select tenant_id, order_id, event_id::text as event_id, amount::text as amount, currency from invoices')).rows;
  await db.end();

  const byOrder = new Map<string, InvoiceRow[]>();
  for (const inv of invoices) {
    const key = `${inv.tenant_id}|${inv.order_id}`;
    byOrder.set(key, [...(byOrder.get(key) ?? []), inv]);
  }
  const problems: string[] = [];
  let lostOrders = 0;
  let doubled = 0;
  for (const [key, order] of workload.expectedOrders) {
    const found = byOrder.get(key) ?? [];
    if (found.length === 0) lostOrders++;
    if (found.length > 1) doubled += found.length - 1;
    for (const inv of found) {
      if (!order.eventIds.has(inv.event_id)) problems.push(`${key}: invoice from foreign event ${inv.event_id}`);
      if (inv.amount !== order.amount || inv.currency !== order.currency) {
        problems.push(`${key}: invoice ${inv.amount} ${inv.currency}, expected ${order.amount} ${order.currency}`);
      }
    }
  }
  const strayInvoices = invoices.filter((inv) => !workload.expectedOrders.has(`${inv.tenant_id}|${inv.order_id}`)).length;
  const unclaimed = [...workload.validEventIds].filter((id) => !claimed.has(id));
  const lostEvents = unclaimed.length;
  const strayClaims = [...claimed].filter((id) => !workload.validEventIds.has(id)).length;

  const { ids: dltIds, withoutReason } = await readDeadLetters(admin);
  const dltSet = new Set(dltIds);
  const poisonMissing = [...workload.poisonIds].filter((id) => !dltSet.has(id)).length;
  const validOnDlt = [...dltSet].filter((id) => !workload.poisonIds.has(id));

  if (lostOrders) problems.push(`${lostOrders} (tenant, order) without an invoice`);
  if (doubled) problems.push(`${doubled} extra invoices for an already invoiced (tenant, order)`);
  if (strayInvoices) problems.push(`${strayInvoices} invoices for orders that were never validly published`);
  if (lostEvents) problems.push(`${lostEvents} valid event_ids never claimed in processed_events, e.g. ${unclaimed.slice(0, 5).join(', ')}`);
  if (strayClaims) problems.push(`${strayClaims} claims for event_ids that were not valid events`);
  if (poisonMissing) problems.push(`${poisonMissing} poison messages missing from the DLT`);
  if (withoutReason.length) problems.push(`${withoutReason.length} DLT records without x-dlt-reason or source topic`);
  if (validOnDlt.length) problems.push(`${validOnDlt.length} non-poison messages on the DLT, e.g. ${validOnDlt.slice(0, 3).join(', ')}`);
  return {
    problems,
    lost: lostOrders + lostEvents,
    double: doubled + strayInvoices,
    invoices: invoices.length,
    dlt: dltSet.size,
    dltCopies: dltIds.length,
  };
}

// ---------- main ----------

async function main(): Promise<void> {
  const seed = readSeed();
  log(`seed=${seed} (rerun with CHAOS_SEED=${seed})`);
  const rng = seededRandom(seed ^ 0x5eed);
  const workload = buildWorkload(seed, { windowMs: WINDOW_MS, hostile: hostileMessages(seed, HOSTILE_MESSAGES, { tenantId: 'tenant-hostile' }) });
  const { stats } = workload;
  log(
    `workload: ${stats.events} messages, ${stats.tenants} tenants, ${workload.expectedOrders.size} orders, ` +
      `${stats.duplicates} exact duplicates, ${stats.republished} re-published under a new event_id, ${stats.poison} poison, ` +
      `${stats.hostile} hostile (${stats.hostileValid} of them valid)`,
  );

  cleanUpInterruptedRun(log);
  const kafka = new ChaosKafka();
  const postgres = chaosPostgres();
  const fleet = new ConsumerFleet({ topic: TOPIC, groupId: GROUP, partitions: PARTITIONS, log });
  const proxies = await startProxies(HARD_TIMEOUT_MS);
  const recovery = new RecoveryClock(log, workload.expectedOrders.size);
  const chaos = new Chaos(rng, fleet, kafka, postgres, proxies, recovery);
  let admin: Admin | undefined;
  const teardown = async () => {
    chaos.closing = true;
    fleet.killAllNow();
    await admin?.disconnect().catch(() => {});
    await kafka.stop('SIGKILL').catch(() => {});
    await proxies.closeAll().catch(() => {});
    try {
      postgres.stop('fast');
    } catch {
      postgres.stop('immediate');
    }
    postgres.remove();
  };
  const watchdog = setTimeout(() => {
    console.error(`chaos: hard timeout of ${HARD_TIMEOUT_MS / 60_000} min reached`);
    void teardown().finally(() => process.exit(1));
  }, HARD_TIMEOUT_MS);
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void teardown().finally(() => process.exit(130)));

  const violations: string[] = [];
  let result: Verdict | undefined;
  let announcements: AnnouncementVerdict | undefined;
  try {
    log('building the service (npm run build)');
    run('npm run build', 'npm', ['run', '--silent', 'build']);
    await postgres.start();
    await postgres.createDatabase(DATABASE);
    run('migrations', process.execPath, ['node_modules/typeorm/cli.js', 'migration:run', '-d', 'dist/src/data-source.js'], { DATABASE_URL });
    log(`private PostgreSQL ready on 127.0.0.1:25432 (${postgres.dir}), migrations applied`);
    await kafka.start();
    admin = kafkaClient('chaos-admin', { retry: { retries: 10 } }).admin();
    await admin.connect();
    // The service's own topic creation (built above), which waits out a KRaft broker's UNKNOWN_TOPIC_OR_PARTITION.
    const { createTopicsWithLeaders } = await built<BuiltKafkaTopics>('kafka/kafka-topics.js');
    // The suite's own clients (producer, topic readers) decode and write every codec, as the service does.
    const kafkaAdapter = await built<BuiltKafkaAdapter>('kafka/kafka-adapter.js');
    kafkaAdapter.installKafkaAdapter();
    await createTopicsWithLeaders(admin, [
      { topic: TOPIC, numPartitions: PARTITIONS },
      { topic: DLT, numPartitions: 1 },
    ]);
    log(
      `private Kafka ready: ${KAFKA_NODES.length} brokers behind proxies on ${KAFKA_NODES.map((n) => n.advertisedPort).join(', ')}, topic ${TOPIC} with ${PARTITIONS} partitions`,
    );

    await Promise.all([chaos.startSlot(1, chaos.hookSetting(1)), chaos.startSlot(2, chaos.hookSetting(2))]);
    if (fleet.running().length < 2) throw new Error(`the service does not start:\n${fleet.events.unexpectedExits.map((e) => e.logTail).join('\n')}`);
    const plan = faultPlan(rng);
    log(`fault plan: ${plan.map((s) => `${s.action}@${(s.atMs / 1000).toFixed(0)}s`).join(', ')}`);
    const t0 = Date.now();
    let lastProgress = 0;
    await Promise.all([
      publishAll(workload, {
        codecOfSend: sendCodecs(seededRandom(seed ^ 0xc0dec)),
        onProgress: (n: number) => {
          if (Date.now() - lastProgress > 10_000 || n === stats.events) {
            log(`published ${n}/${stats.events}`);
            lastProgress = Date.now();
          }
        },
      }),
      chaos.runPlan(plan, t0),
    ]);
    chaos.faultsOver = true;
    // Pending restarts finish before we judge the group.
    while (fleet.running().length < chaos.desired.size && !chaos.closing) await sleep(500);

    const lag = await waitForZeroLag(admin, fleet);
    await recovery.settled();
    for (const { fault, seconds } of recovery.recoveries) {
      if (seconds * 1000 > MAX_RECOVERY_MS) violations.push(`recovery from ${fault} took ${seconds.toFixed(1)} s, more than ${MAX_RECOVERY_MS / 1000} s`);
    }
    if (lag !== 0) violations.push(`consumer group lag is ${lag}, not 0`);
    result = await verify(workload, admin);
    violations.push(...result.problems);
    announcements = await verifyAnnouncements(admin);
    violations.push(...announcements.problems);

    if (fleet.events.crashedByHook < 1) violations.push('the crash-after-commit hook never fired (no kill between DB commit and offset commit)');
    if (fleet.events.killedByUs < KILLS) violations.push(`only ${fleet.events.killedByUs} of ${KILLS} planned SIGKILLs happened`);
    if (chaos.infraRestarts < 5) violations.push(`only ${chaos.infraRestarts} of 5 database and broker restarts happened`);
    if (chaos.networkFaults < 4) violations.push(`only ${chaos.networkFaults} of 4 network faults happened`);
    for (const exit of fleet.events.unexpectedExits) {
      log(`note: consumer slot ${exit.slot} (pid ${exit.pid}) ended on its own (${exit.how}); last log lines:\n${exit.logTail}`);
    }
    chaos.closing = true;
    const stuck = await fleet.stopAll();
    if (stuck.length) violations.push(`consumer slots ${stuck.join(',')} ignored SIGTERM for 60 s`);
  } catch (error) {
    violations.push(`suite error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    if (postgres.dir) console.error(`--- private PostgreSQL log ---\n${postgres.logTail()}`);
  } finally {
    await teardown();
    clearTimeout(watchdog);
  }
  const leftBehind = [...fleet.leftBehind(), ...kafka.pids.filter(isAlive), ...postgres.pids.filter(isAlive)];
  if (leftBehind.length) violations.push(`processes left behind: ${leftBehind.join(', ')}`);

  const kills = fleet.events.killedByUs + fleet.events.crashedByHook;
  const restarts = chaos.infraRestarts + fleet.events.restarts;
  log(
    `faults: ${fleet.events.killedByUs} SIGKILLs by the suite, ${fleet.events.crashedByHook} crashes after a DB commit (hook), ` +
      `${fleet.events.restarts} consumer restarts, ${chaos.infraRestarts} infrastructure restarts, ${fleet.events.unexpectedExits.length} exits on their own; ` +
      `${result ? `${result.dltCopies} DLT records for ${result.dlt} poison messages` : ''}`,
  );
  if (announcements)
    log(
      `outbox: ${announcements.copies} ${OUTBOX_TOPIC} messages for ${announcements.announced} invoices; ${announcements.superseded} announced an invoice the database restore removed, whose event was invoiced again`,
    );
  log(`consumer outcomes (from their logs): ${JSON.stringify(fleet.outcomes())}`);
  log(`producer sends by codec: ${JSON.stringify(workload.sendsByCodec)}`);
  log(`took ${((Date.now() - started) / 1000).toFixed(1)} s; consumer logs in .infra/chaos/logs/`);
  for (const v of violations) console.error(`VIOLATION: ${v}`);
  console.log(
    `chaos: seed=${seed} events=${stats.events} duplicates=${stats.duplicates} kills=${kills} restarts=${restarts} ` +
      `invoices=${result?.invoices ?? '?'} lost=${result?.lost ?? '?'} double=${result?.double ?? '?'} dlt=${result?.dlt ?? '?'} ` +
      `announced=${announcements?.announced ?? '?'} missing=${announcements?.missing ?? '?'} phantom=${announcements?.phantom ?? '?'} ` +
      `faults=${recovery.recoveries.length} max_recovery_s=${recovery.maxSeconds.toFixed(1)}`,
  );
  process.exit(violations.length ? 1 : 0);
}

await main();
