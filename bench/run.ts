import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { barChartSvg } from './chart';
import { DB_SHAPES, DbPoint, DbShape, DbSweep, sweepDatabaseLimit } from './db-limit';
import { BenchEvent, BenchKafka, workload } from './events';
import { Latency, measureLatency } from './latency';
import { spawnService, tempLogFile, TestDatabase } from '../test/support/fixture';
import { BROKERS, uniqueName } from '../test/support/kafka';
import { freePort, SERVICE_MAIN, ServiceProcess, SHIPPED_NODE_ARGS } from '../test/support/standalone/service-process';
import { prefillTables, Prefill } from './prefill';
import { Sustained, SustainedRecorder, SustainedWindow } from './sustained';
import { AnnouncementLag, CpuMeter, CpuShare, MeasuredWindow, measureUntilCount, numberOption, PerEvent, perEvent, sleep, Throughput } from './support';

interface Options {
  events: number;
  partitions: number;
  concurrency: number;
  duplicateShare: number;
  rate: number;
  latencySeconds: number;
  halfRateSeconds: number;
  latencyWarmupSeconds: number;
  dbBatchSizes: number[];
  dbConcurrencies: number[];
  dbShapes: DbShape[];
  dbSweepEvents: number;
  scaleOut: number[];
  /** Invoices, claims and published outbox rows bulk-loaded before the `full` variant starts. */
  prefill: number;
  /** The `sustained` variant: how long its events keep the service busy, at what rate if `service` did not run first. */
  sustainedSeconds: number;
  sustainedRate: number;
  sustainedWindowSeconds: number;
  cpuProfDir?: string;
  /** Node flags of the service processes: the shipped heap flags unless --service-node-options. */
  serviceNodeArgs: readonly string[];
  variants: string[];
  out: string;
}

interface VariantResult {
  name: string;
  throughput: Throughput;
  correct?: boolean;
  check?: string;
  notes: string;
  cpu?: CpuShare;
  /** cpu divided by the invoices of its window: node_us, pg_us, pg_bg_us, wal_b. */
  perEvent?: PerEvent;
  /** Of the variants that relay their outbox: published_at - enqueued_at of the run's rows. */
  announcement?: AnnouncementLag;
  memory?: unknown;
  processes?: number;
}

const ALL_VARIANTS = ['raw', 'db', 'textbook', 'message', 'quiet', 'nooutbox', 'bigheap', 'scaleout', 'full', 'service', 'sustained'];
/** scaleout, full and sustained take long (full bulk-loads 5 million rows of each table first, sustained runs 5 minutes): only when asked for. */
const OPT_IN = ['scaleout', 'full', 'sustained'];
const DEFAULT_VARIANTS = ALL_VARIANTS.filter((v) => !OPT_IN.includes(v));
const MEMORY_PROBE = join(__dirname, 'memory-probe.js');
const TIMEOUT_MS = 20 * 60_000;

function parseOptions(argv: string[]): Options {
  const value = (name: string, fallback: number) => numberOption(argv, name, fallback);
  const text = (name: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : undefined);
  const list = (name: string, fallback: string) => (text(name) ?? fallback).split(',');
  const outIndex = argv.indexOf('--out');
  return {
    events: value('events', 100_000),
    partitions: value('partitions', 12),
    concurrency: value('concurrency', 12),
    duplicateShare: value('duplicates', 0.01),
    rate: value('rate', 1000),
    latencySeconds: value('latency-seconds', 20),
    halfRateSeconds: value('half-rate-seconds', 10),
    latencyWarmupSeconds: value('latency-warmup-seconds', 3),
    dbBatchSizes: list('db-batches', '500,1000,2000,5000').map(Number),
    dbConcurrencies: list('db-concurrency', '1,2,4').map(Number),
    dbShapes: list('db-shapes', DB_SHAPES.join(',')) as DbShape[],
    dbSweepEvents: value('db-sweep-events', 30_000),
    scaleOut: list('scale-out', '1,2,3').map(Number),
    prefill: value('prefill', 5_000_000),
    sustainedSeconds: value('sustained-seconds', 300),
    sustainedRate: value('sustained-rate', 10_000),
    sustainedWindowSeconds: value('sustained-window-seconds', 30),
    cpuProfDir: text('cpu-prof'),
    serviceNodeArgs: text('service-node-options')?.split(/\s+/).filter(Boolean) ?? SHIPPED_NODE_ARGS,
    variants: list('variants', DEFAULT_VARIANTS.join(',')),
    out: outIndex >= 0 ? argv[outIndex + 1] : join(__dirname, '..', '..', 'bench', 'results'),
  };
}

function log(text: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}

function machine() {
  const model = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  return { nproc: cpus().length, memoryGiB: +(totalmem() / 2 ** 30).toFixed(1), cpu: model.trim(), node: process.version };
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function rawConsumer(topic: string, expected: number, options: Options): Promise<VariantResult> {
  const logFile = tempLogFile('bench-raw');
  const env = {
    KAFKA_BROKERS: BROKERS.join(','),
    KAFKA_TOPIC: topic,
    KAFKA_GROUP_ID: uniqueName('bench-raw'),
    BENCH_EXPECTED: String(expected),
    KAFKA_PARTITIONS_CONCURRENCY: String(options.concurrency),
  };
  const child = spawnService({ script: join(__dirname, 'raw-consumer.js'), env, nodeArgs: [], logFile, inheritEnv: true });
  const deadline = Date.now() + TIMEOUT_MS;
  while (child.running && Date.now() < deadline) await sleep(100);
  await child.stop();
  const line = readFileSync(logFile, 'utf8').trim().split('\n').pop() ?? '';
  const throughput = JSON.parse(line) as Throughput;
  return { name: 'raw consume limit', throughput, notes: `kafkajs eachMessage doing nothing, partitionsConsumedConcurrently=${options.concurrency}` };
}

async function databaseLimit(events: BenchEvent[], options: Options): Promise<{ result: VariantResult; sweep: DbSweep }> {
  const db = await TestDatabase.create('bench_db');
  const describe = (p: DbPoint) =>
    `${p.shape}, ${p.batchSize} a transaction, ${p.concurrency} connection(s): ${Math.round(p.perSecond)}/s over ${p.events} events, WAL ${Math.round(p.walBytesPerEvent)} B/event (load ${p.load})`;
  try {
    const sweep = await sweepDatabaseLimit(
      db.url,
      events,
      { shapes: options.dbShapes, batchSizes: options.dbBatchSizes, concurrencies: options.dbConcurrencies, sweepEvents: options.dbSweepEvents },
      (point) => log(`  db ${describe(point)}`),
    );
    const { final } = sweep;
    const each = perEvent(final.cpu);
    const notes = `best of the sweep run on every event: ${final.shape}, ${final.batchSize} events a transaction, ${final.concurrency} connection(s); claim + invoice + outbox row, synchronous_commit=on, no Kafka; per event: PG backends ${us(each.pgUs)} µs, the bench process (the writers) ${us(each.nodeUs)} µs, WAL ${us(each.walBytes)} B`;
    return { result: { name: 'database limit', throughput: final, notes, cpu: final.cpu, perEvent: each }, sweep };
  } finally {
    await db.drop();
  }
}

interface ConsumerRun {
  label: string;
  script: string;
  env: Record<string, string>;
  expected: number;
  /** Consumer processes in the one group (scale-out); 1 by default. */
  instances?: number;
  /** Node flags of every process; none by default. */
  nodeArgs?: readonly string[];
  /**
   * The processes relay the outbox: the CPU window closes only once every outbox row is published (the invoice
   * count reached and none pending), and the announcement lag of the run's rows is read then, from env.OUTBOX_TOPIC.
   */
  announcements?: BenchKafka;
  /** Claims, invoices and published outbox rows bulk-loaded (bench/prefill.ts) before the processes start. */
  prefill?: number;
  whileRunning?: (db: TestDatabase, child: ServiceProcess) => Promise<void>;
  /** Counts the run's invoices while it runs; by default count(*) of invoices, or of the outbox rows above a prefill. */
  counter?: (db: TestDatabase) => () => Promise<number>;
  /** Reads the announcement lag once the outbox is drained; by default announcementLag, every row in memory. */
  readAnnouncementLag?: (db: TestDatabase, outboxTopic: string) => Promise<AnnouncementLag>;
  /** For measureUntilCount; TIMEOUT_MS by default. */
  timeoutMs?: number;
  /** Called with the throughput as soon as it is measured, before whileRunning. */
  onMeasured?: (throughput: Throughput) => void;
  prepare?: (db: TestDatabase) => Promise<unknown>;
}

interface ConsumerOutcome {
  throughput: Throughput;
  correct: boolean;
  check: string;
  peakRssMb: number;
  cpu?: CpuShare;
  perEvent?: PerEvent;
  memory?: unknown;
  /** With drain: when the outbox was drained, and the announcement lag of the rows this run wrote. */
  announced?: string;
  announcement?: AnnouncementLag;
  prefill?: Prefill;
}

/** Runs consumer processes against their own database and group, and checks one invoice per distinct event. */
async function consumerVariant(run: ConsumerRun): Promise<ConsumerOutcome> {
  const { label, expected } = run;
  const db = await TestDatabase.create(`bench_${label}`);
  await run.prepare?.(db);
  let prefill: Prefill | undefined;
  if (run.prefill) {
    log(`${label}: prefilling ${run.prefill} invoices, claims and published outbox rows`);
    prefill = await prefillTables(db, run.prefill);
    log(`${label}: prefilled in ${prefill.seconds.toFixed(1)} s (bulk SQL, VACUUM ANALYZE, CHECKPOINT)`);
  }
  const groupId = uniqueName(`bench-${label}`);
  const memoryFile = join(tmpdir(), `${uniqueName(`billing-bench-memory-${label}`)}.json`);
  const children: ServiceProcess[] = [];
  for (let i = 0; i < (run.instances ?? 1); i++) {
    // Each process of a scale-out needs a port of its own.
    const port: Record<string, string> = run.env.PORT && i > 0 ? { PORT: String(await freePort()) } : {};
    const env = { DATABASE_URL: db.url, KAFKA_GROUP_ID: groupId, BENCH_MEMORY_FILE: memoryFile, ...run.env, ...port };
    children.push(spawnService({ script: run.script, env, nodeArgs: run.nodeArgs ?? [], logFile: tempLogFile(`bench-${label}${i}`), inheritEnv: true }));
  }
  const [child] = children;
  const cpu = new CpuMeter(
    (sql, params) => db.query(sql, params),
    () => children.map((c) => c.pid ?? 0),
  );
  // Above a prefill the run's invoices are counted by their outbox rows (the same statement writes both): counting
  // millions of invoices every 250 ms would load the machine it measures.
  const above = prefill?.lastOutboxId ?? '0';
  const count = run.counter?.(db) ?? (prefill ? () => db.count('invoice_outbox', 'id > $1', [above]) : () => db.count('invoices'));
  try {
    const window: MeasuredWindow = run.announcements ? { start: (n) => cpu.start(n), end: () => Promise.resolve() } : cpu;
    const alive = () => children.every((c) => c.running);
    const throughput = await measureUntilCount(count, expected, run.timeoutMs ?? TIMEOUT_MS, alive, window);
    let announced: string | undefined;
    let announcement: AnnouncementLag | undefined;
    const { announcements } = run;
    if (announcements) {
      announced = await waitForOutboxDrained(db, expected, above);
      await cpu.end(await count());
      const read = run.readAnnouncementLag ?? ((db: TestDatabase, topic: string) => announcementLag(db, announcements, topic, above));
      announcement = await read(db, run.env.OUTBOX_TOPIC);
    }
    await sleep(2000);
    const invoices = (await db.count('invoices')) - (prefill?.rows ?? 0);
    const claims = (await db.count('processed_events')) - (prefill?.rows ?? 0);
    const [{ n: doubled }] = await db.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM (SELECT 1 FROM invoices GROUP BY tenant_id, order_id HAVING count(*) > 1) d',
    );
    const correct = invoices === expected && claims === expected && doubled === '0' && (announced?.startsWith('ok') ?? true);
    const check = `${invoices} invoices, ${claims} claims for ${expected} distinct events${prefill ? ` (above the ${prefill.rows} prefilled)` : ''}`;
    run.onMeasured?.(throughput);
    if (run.whileRunning) await run.whileRunning(db, child);
    const peakRssMb = Math.max(...children.map((c) => c.peakRssMb()));
    const usage = cpu.result;
    return {
      throughput,
      correct,
      check,
      peakRssMb,
      cpu: usage,
      perEvent: usage && usage.events > 0 ? perEvent(usage) : undefined,
      memory: readMemory(memoryFile),
      announced,
      announcement,
      prefill,
    };
  } catch (error) {
    log(`${label} failed; its output is in ${children.map((c) => c.logFile).join(', ')}`);
    throw error;
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    await db.drop();
  }
}

function readMemory(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

const us = (n: number) => Math.round(n).toLocaleString('en-US');

/** What a consumer run measured besides its rate: the outbox drain, the announcement lag, peak RSS, CPU per event. */
function measuredNote(outcome: ConsumerOutcome): string {
  const { announced, announcement: lag, cpu } = outcome;
  const cpuPart = () => {
    if (!cpu || cpu.events <= 0) return 'no CPU sample';
    const each = perEvent(cpu);
    const until = announced ? 'to the outbox drained' : 'to the last invoice';
    return `per event over ${cpu.wallSeconds.toFixed(1)} s ${until} (${cpu.events} events): node ${us(each.nodeUs)} µs, PG backends ${us(each.pgUs)} µs, PG background ${us(each.pgBackgroundUs)} µs, WAL ${us(each.walBytes)} B; machine busy ${cpu.machineSeconds.toFixed(1)} of ${(cpu.wallSeconds * cpus().length).toFixed(1)} core-s`;
  };
  return [
    ...(announced ? [`outbox ${announced}`] : []),
    ...(lag ? [`announcement lag p50 ${lag.p50Ms.toFixed(0)} ms, p99 ${lag.p99Ms.toFixed(0)} ms, max ${lag.maxMs.toFixed(0)} ms`] : []),
    `peak RSS ${outcome.peakRssMb.toFixed(0)} MB`,
    cpuPart(),
  ].join('; ');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const loadBefore = load();
  log(`load average before: ${loadBefore}`);
  const kafka = await new BenchKafka().connect();
  const topic = uniqueName('bench.order.completed');
  await kafka.createTopic(topic, options.partitions);
  const { messages, distinctEvents } = workload(options.events, options.duplicateShare);
  const expected = distinctEvents.length;
  log(`publishing ${messages.length} messages (${expected} distinct events) to ${topic} (${options.partitions} partitions)`);
  await kafka.publishAll(topic, messages);

  const results: VariantResult[] = [];
  const topicsOfVariants: string[] = [];
  const extra: Extra = { latency: undefined, halfRate: undefined, peakRssMb: NaN, scaleOut: [], dbSweep: undefined, sustained: undefined };
  try {
    const runs = (variant: string) => options.variants.includes(variant);
    const serviceEnv = async (profile = false) => ({
      KAFKA_BROKERS: BROKERS.join(','),
      KAFKA_TOPIC: topic,
      KAFKA_PARTITIONS_CONCURRENCY: String(options.concurrency),
      PORT: String(await freePort()),
      AUTH_JWT_SECRET: 'bench-only-secret-0123456789-abcdefghijklmnop',
      NODE_ENV: 'production',
      NODE_OPTIONS: [`--require ${MEMORY_PROBE}`, profile && options.cpuProfDir ? `--cpu-prof --cpu-prof-dir=${options.cpuProfDir}` : ''].join(' '),
    });
    // Every service variant relays its outbox to a topic of its own (its announcements are timed by their first send),
    // deleted at the end.
    const service = (label: string, env: Record<string, string>, more: Partial<ConsumerRun> = {}) => {
      const outboxTopic = `${topic}.${label}.invoice-created`;
      topicsOfVariants.push(outboxTopic);
      const withTopic = { ...env, OUTBOX_TOPIC: outboxTopic };
      return consumerVariant({ label, script: SERVICE_MAIN, env: withTopic, expected, nodeArgs: options.serviceNodeArgs, announcements: kafka, ...more });
    };
    if (runs('raw')) {
      log('raw consume limit');
      results.push(await rawConsumer(topic, messages.length, options));
    }
    if (runs('db')) {
      log('database limit: sweep of statement shape x batch size x connections');
      const { result, sweep } = await databaseLimit(distinctEvents, options);
      results.push(result);
      extra.dbSweep = sweep;
    }
    if (runs('textbook')) {
      log('textbook consumer');
      const textbook = await consumerVariant({
        label: 'textbook',
        script: join(__dirname, 'textbook', 'main.js'),
        env: { KAFKA_BROKERS: BROKERS.join(','), KAFKA_TOPIC: topic, KAFKA_PARTITIONS_CONCURRENCY: String(options.concurrency) },
        expected,
      });
      results.push({
        name: 'textbook consumer',
        ...textbook,
        notes: `Nest @EventPattern, select-then-insert, one transaction per message; ${measuredNote(textbook)}`,
      });
    }
    if (runs('message')) {
      log('this service, one event per transaction');
      // As many transactions at once as partitions handled at once, like the per-message mode this replaces.
      const perMessage = await service('service_msg', {
        ...(await serviceEnv()),
        KAFKA_BATCH_MAX_EVENTS: '1',
        KAFKA_BATCH_MAX_TRANSACTIONS: String(Math.min(options.concurrency, 16)),
      });
      results.push({
        name: 'this service (per-message)',
        ...perMessage,
        notes: `KAFKA_BATCH_MAX_EVENTS=1, KAFKA_BATCH_MAX_TRANSACTIONS=${Math.min(options.concurrency, 16)}; ${measuredNote(perMessage)}`,
      });
    }
    if (runs('quiet')) {
      log('this service, LOG_LEVEL=warn');
      const quiet = await service('service_quiet', { ...(await serviceEnv()), LOG_LEVEL: 'warn' });
      results.push({ name: 'this service (LOG_LEVEL=warn)', ...quiet, notes: `no info line per event; ${measuredNote(quiet)}` });
    }
    if (runs('nooutbox')) {
      log('this service, without the outbox');
      const bare = await service(
        'service_no_outbox',
        { ...(await serviceEnv()), OUTBOX_RELAY_ENABLED: 'false' },
        { prepare: (db) => db.query(DISCARD_OUTBOX_ROWS), announcements: undefined },
      );
      results.push({
        name: NO_OUTBOX,
        ...bare,
        notes: `the outbox insert discarded by a BEFORE INSERT trigger, relay off: the service before issue #10; ${measuredNote(bare)}`,
      });
    }
    if (runs('bigheap')) {
      log("this service, V8's default heap sizing (no heap flags)");
      const big = await service('service_big_heap', await serviceEnv(), { nodeArgs: [] });
      results.push({ name: BIG_HEAP, ...big, notes: `as shipped but without ${SHIPPED_NODE_ARGS.join(' ')}; ${measuredNote(big)}` });
    }
    if (runs('scaleout')) {
      for (const instances of options.scaleOut) {
        log(`scale-out: ${instances} service process(es) in one group`);
        const run = await service(`scale${instances}`, await serviceEnv(), { instances });
        extra.scaleOut.push({ name: `${instances} process(es)`, ...run, processes: instances, notes: measuredNote(run) });
      }
    }
    if (runs('full')) {
      log(`this service as shipped, on tables prefilled with ${options.prefill} rows each`);
      const full = await service('service_full', await serviceEnv(), { prefill: options.prefill });
      const loaded = full.prefill ? `bulk SQL in ${full.prefill.seconds.toFixed(1)} s with VACUUM ANALYZE and CHECKPOINT` : 'nothing loaded';
      results.push({
        name: FULL_TABLES,
        ...full,
        notes: `as shipped, on tables prefilled with ${options.prefill} invoices, claims and published outbox rows (${loaded}); ${measuredNote(full)}`,
      });
    }
    // Last: the latency runs publish more events to the topic, which the variants above must not see.
    if (runs('service')) {
      log('this service as shipped (outbox and relay), child process node dist/src/main.js');
      const shipped = await service('service', await serviceEnv(true), {
        whileRunning: async (db) => {
          if (options.latencySeconds > 0) {
            log(`latency at ${options.rate}/s offered for ${options.latencySeconds} s after ${options.latencyWarmupSeconds} s of warm-up`);
            const run = { ratePerSecond: options.rate, seconds: options.latencySeconds, warmupSeconds: options.latencyWarmupSeconds, install: true };
            extra.latency = await measureLatency(kafka, topic, db.url, run);
          }
          const serviceRate = results.find((r) => r.name === SHIPPED)?.throughput.perSecond;
          const half = Math.round((serviceRate ?? 2 * options.rate) / 2);
          if (options.halfRateSeconds > 0) {
            log(`latency at half the sustained maximum, ${half}/s offered for ${options.halfRateSeconds} s after ${options.latencyWarmupSeconds} s of warm-up`);
            const run = {
              ratePerSecond: half,
              seconds: options.halfRateSeconds,
              warmupSeconds: options.latencyWarmupSeconds,
              install: extra.latency === undefined,
            };
            extra.halfRate = await measureLatency(kafka, topic, db.url, run);
          }
        },
        onMeasured: (throughput) => results.push({ name: SHIPPED, throughput, notes: '' }),
      });
      extra.peakRssMb = shipped.peakRssMb;
      const shippedResult = results.find((r) => r.name === SHIPPED) as VariantResult;
      Object.assign(shippedResult, {
        ...shipped,
        notes: `as shipped: outbox written and relayed to invoice.created; ${measuredNote(shipped)}`,
      });
    }
    // After `service`, whose rate sizes it: its events go to a topic of their own, which no other variant reads.
    if (runs('sustained')) {
      const rate = results.find((r) => r.name === SHIPPED)?.throughput.perSecond ?? options.sustainedRate;
      const events = Math.round(options.sustainedSeconds * rate);
      const sustainedTopic = `${topic}.sustained`;
      topicsOfVariants.push(sustainedTopic, `${sustainedTopic}.dlt`);
      await kafka.createTopic(sustainedTopic, options.partitions);
      log(`sustained: publishing ${events} distinct events (${options.sustainedSeconds} s at ${Math.round(rate)}/s) to ${sustainedTopic}`);
      await kafka.publishDistinct(sustainedTopic, events);
      log('sustained: this service as shipped, consuming them flat out');
      const recorder = new SustainedRecorder(kafka, options.sustainedWindowSeconds);
      const run = await service(
        'service_sustained',
        { ...(await serviceEnv()), KAFKA_TOPIC: sustainedTopic },
        {
          expected: events,
          counter: (db) => recorder.counter(db),
          readAnnouncementLag: (db, outboxTopic) => {
            log('sustained: outbox drained; reading the announcements back');
            return recorder.announcementLag(db, outboxTopic);
          },
          timeoutMs: Math.max(TIMEOUT_MS, 4 * options.sustainedSeconds * 1000),
        },
      );
      const sustained = recorder.summary(events);
      extra.sustained = sustained;
      results.push({
        name: SUSTAINED,
        ...run,
        correct: run.correct && sustained.lag.rows === events,
        check: `${run.check}; ${sustained.lag.rows} of them on the outbox topic (${sustained.records} records)`,
        notes: `as shipped, ${events} distinct events (${options.sustainedSeconds} s at ${Math.round(rate)}/s) on a topic of their own, windows below; ${measuredNote(run)}`,
      });
    }
  } finally {
    await kafka.deleteTopics([topic, `${topic}.dlt`, ...topicsOfVariants]);
    await kafka.disconnect();
  }

  const loadAfter = load();
  log(`load average after: ${loadAfter}`);
  report(options, messages.length, expected, results, extra, loadBefore, loadAfter);
}

const SHIPPED = 'this service (batch)';
const NO_OUTBOX = 'this service (batch, no outbox)';
const BIG_HEAP = 'this service (batch, default V8 heap)';
const FULL_TABLES = 'this service (batch, full tables)';
const SUSTAINED = 'this service (batch, sustained)';
/** The outbox statement still runs, but keeps no row: the cost of the service without its announcements. */
const DISCARD_OUTBOX_ROWS = `CREATE FUNCTION bench_discard() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
  CREATE TRIGGER bench_discard BEFORE INSERT ON invoice_outbox FOR EACH ROW EXECUTE FUNCTION bench_discard()`;

/**
 * Waits until the relay has published every outbox row; says how long after the last invoice that took. The pending
 * rows are counted from the relay cursor on (its index answers) and the run's own rows by id, so that a prefill is
 * not scanned.
 */
async function waitForOutboxDrained(db: TestDatabase, expected: number, above: string): Promise<string> {
  const started = performance.now();
  for (;;) {
    const pending = await db.count('invoice_outbox_pending');
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (pending === 0) {
      const total = await db.count('invoice_outbox', 'id > $1', [above]);
      return `${total === expected ? 'ok' : 'WRONG'}: ${total} rows published, the last ${seconds} s after the last invoice`;
    }
    if (performance.now() - started > TIMEOUT_MS) return `WRONG: ${pending} rows still pending after ${seconds} s`;
    await sleep(250);
  }
}

/**
 * The announcement lag of the outbox rows above `above`, read once all are published: from enqueued_at, now() of the
 * invoicing transaction (its start), to the record's timestamp on the outbox topic, which the relay's producer sets
 * when it sends the batch (the broker acknowledges it a round trip later). A row sent more than once counts its first send.
 */
async function announcementLag(db: TestDatabase, kafka: BenchKafka, outboxTopic: string, above: string): Promise<AnnouncementLag> {
  const rows = await db.query<{ event_id: string; enqueued_ms: number }>(
    `SELECT event_id::text AS event_id, extract(epoch FROM enqueued_at)::float8 * 1000 AS enqueued_ms FROM invoice_outbox WHERE id > $1`,
    [above],
  );
  const sent = await kafka.firstSendTimes(outboxTopic, rows.length);
  const lags = rows.flatMap(({ event_id, enqueued_ms }) => (sent.has(event_id) ? [sent.get(event_id)! - enqueued_ms] : [])).sort((a, b) => a - b);
  const at = (q: number) => (lags.length > 0 ? lags[Math.min(lags.length - 1, Math.floor(q * lags.length))] : NaN);
  return { rows: lags.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: lags.at(-1) ?? NaN };
}

interface Extra {
  latency?: Latency;
  /** Latency at half the sustained maximum of the shipped service. */
  halfRate?: Latency;
  peakRssMb: number;
  scaleOut: VariantResult[];
  dbSweep?: DbSweep;
  sustained?: Sustained;
}

const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : 'NaN');
const perSecond = (n: number) => Math.round(n).toLocaleString('en-US');
const latencyLine = (l: Latency) =>
  `Latency at ${l.offeredPerSecond}/s offered (${l.events} events after ${l.warmupSeconds} s of warm-up): p50 ${l.p50Ms.toFixed(1)} ms, p99 ${l.p99Ms.toFixed(1)} ms, max ${l.maxMs.toFixed(1)} ms`;

function variantTable(results: VariantResult[]): string {
  return [
    '| variant | events/s | correctness | notes |',
    '|---|---:|---|---|',
    ...results.map(
      (r) =>
        `| ${r.name} | ${perSecond(r.throughput.perSecond)} | ${r.check === undefined ? 'n/a' : `${r.correct ? 'ok' : 'WRONG'}: ${r.check}`} | ${r.notes} |`,
    ),
  ].join('\n');
}

function dbSweepTable(sweep: DbSweep): string {
  const row = (p: DbPoint, note = '') =>
    `| ${p.shape} | ${p.batchSize} | ${p.concurrency} | ${p.events} | ${perSecond(p.perSecond)} | ${us(perEvent(p.cpu).pgUs)} | ${Math.round(p.walBytesPerEvent)} | ${p.load} | ${note} |`;
  return [
    '| shape | events a transaction | connections | events | events/s | PG backend CPU µs/event | WAL B/event (cluster) | load average | |',
    '|---|---:|---:|---:|---:|---:|---:|---|---|',
    ...sweep.points.map((p) => row(p, p === sweep.best ? 'best of the sweep' : '')),
    row(sweep.final, '**db=**: the best, every event'),
    row(sweep.serviceShape, "the service's own statements at its settings, every event"),
  ].join('\n');
}

function scaleOutTable(rows: VariantResult[]): string {
  const share = (r: VariantResult) => {
    const { cpu, perEvent: each } = r;
    if (!cpu || !each) return '| | | | |';
    const pg = each.pgUs + each.pgBackgroundUs;
    return `| ${us(each.nodeUs)} | ${us(pg)} | ${((100 * pg) / (pg + each.nodeUs)).toFixed(0)}% | ${((100 * cpu.machineSeconds) / (cpu.wallSeconds * cpus().length)).toFixed(0)}% |`;
  };
  return [
    '| processes | events/s | correctness | peak RSS (max of processes) | node CPU µs/event | PostgreSQL CPU µs/event | PostgreSQL share of (node + PG) CPU | machine busy |',
    '|---:|---:|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.processes} | ${perSecond(r.throughput.perSecond)} | ${r.correct ? 'ok' : 'WRONG'}: ${r.check} | ${(r as { peakRssMb?: number }).peakRssMb?.toFixed(0)} MB ${share(r)}`,
    ),
  ].join('\n');
}

function sustainedTable(sustained: Sustained): string {
  const row = (w: SustainedWindow) =>
    `| ${w.fromSeconds.toFixed(0)}-${w.toSeconds.toFixed(0)}${w.full ? '' : ' (partial)'} | ${w.invoicesCommitted} | ${perSecond(w.perSecond)} | ${w.lag.rows} | ${fixed(w.lag.p50Ms, 0)} | ${fixed(w.lag.p99Ms, 0)} | ${fixed(w.lag.maxMs, 0)} |`;
  return [
    '| window (s from the first invoice) | invoices committed | invoices/s | rows announced (transaction started in the window) | lag p50 ms | lag p99 ms | lag max ms |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...sustained.windows.map(row),
  ].join('\n');
}

/** The fields of the bench line, in its order; the rates in events/s (NaN: the variant did not run). */
function benchLine(results: VariantResult[], extra: Extra): Record<string, number> {
  const find = (name: string) => results.find((r) => r.name === name);
  const rate = (name: string) => find(name)?.throughput.perSecond ?? NaN;
  const shipped = find(SHIPPED);
  const each = (r: VariantResult | undefined, pick: (e: PerEvent) => number) => (r?.perEvent ? pick(r.perEvent) : NaN);
  const service = rate(SHIPPED);
  const sustained = find(SUSTAINED);
  return {
    service,
    textbook: rate('textbook consumer'),
    raw: rate('raw consume limit'),
    db: rate('database limit'),
    ratio_textbook: service / rate('textbook consumer'),
    ratio_db: service / rate('database limit'),
    node_us: each(shipped, (e) => e.nodeUs),
    pg_us: each(shipped, (e) => e.pgUs),
    db_pg_us: each(find('database limit'), (e) => e.pgUs),
    p99_ms: extra.latency?.p99Ms ?? NaN,
    rss_mb: extra.peakRssMb,
    full_tables: rate(FULL_TABLES),
    ratio_full: rate(FULL_TABLES) / service,
    announce_p99_ms: shipped?.announcement?.p99Ms ?? NaN,
    announce_p50_ms: shipped?.announcement?.p50Ms ?? NaN,
    wal_b: each(shipped, (e) => e.walBytes),
    pg_bg_us: each(shipped, (e) => e.pgBackgroundUs),
    ratio_raw: service / rate('raw consume limit'),
    p99_half_ms: extra.halfRate?.p99Ms ?? NaN,
    half_rate: extra.halfRate?.offeredPerSecond ?? NaN,
    big_heap: rate(BIG_HEAP),
    no_outbox: rate(NO_OUTBOX),
    ratio_outbox: service / rate(NO_OUTBOX),
    sustained: rate(SUSTAINED),
    sustained_announce_p50_ms: sustained?.announcement?.p50Ms ?? NaN,
    sustained_announce_p99_ms: sustained?.announcement?.p99Ms ?? NaN,
    sustained_first_rate: extra.sustained?.firstFull?.perSecond ?? NaN,
    sustained_last_rate: extra.sustained?.lastFull?.perSecond ?? NaN,
    sustained_lag_growth: extra.sustained?.lagGrowth ?? NaN,
  };
}

const RATES = new Set([
  'service',
  'textbook',
  'raw',
  'db',
  'full_tables',
  'half_rate',
  'big_heap',
  'no_outbox',
  'sustained',
  'sustained_first_rate',
  'sustained_last_rate',
]);
const isRatio = (key: string) => key.startsWith('ratio_') || key.endsWith('_growth');
const lineValue = (key: string, value: number) =>
  RATES.has(key) ? `${fixed(value, 0)}/s` : isRatio(key) ? fixed(value, 2) : key.endsWith('_ms') ? fixed(value, 1) : fixed(value, 0);

function report(options: Options, messageCount: number, expected: number, results: VariantResult[], extra: Extra, loadBefore: string, loadAfter: string): void {
  const { latency, halfRate } = extra;
  const line = benchLine(results, extra);
  const summary = {
    date: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: machine(),
    loadBefore,
    loadAfter,
    messages: messageCount,
    distinctEvents: expected,
    partitions: options.partitions,
    // The bench line's fields as numbers (null: the variant did not run).
    line,
    results,
    ...extra,
  };
  mkdirSync(options.out, { recursive: true });
  writeFileSync(join(options.out, 'latest.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const bars = results.map((r) => ({ label: r.name, value: r.throughput.perSecond }));
  writeFileSync(
    join(options.out, 'throughput.svg'),
    barChartSvg(`Throughput per variant, ${messageCount.toLocaleString('en-US')} messages, ${options.partitions} partitions`, 'events/s', bars),
  );
  const sections = [
    variantTable(results),
    ...(extra.dbSweep ? [`Database limit sweep:\n\n${dbSweepTable(extra.dbSweep)}`] : []),
    ...(extra.scaleOut.length > 0 ? [`Scale-out (one group, ${options.partitions} partitions):\n\n${scaleOutTable(extra.scaleOut)}`] : []),
    ...(extra.sustained ? [`Sustained, by ${extra.sustained.windowSeconds} s window:\n\n${sustainedTable(extra.sustained)}`] : []),
    ...[latency, halfRate].flatMap((l) => (l ? [latencyLine(l)] : [])),
  ].join('\n\n');
  writeFileSync(join(options.out, 'latest.md'), `${sections}\n`);
  process.stdout.write(`${sections}\n\nload average before: ${loadBefore}; after: ${loadAfter}\n`);
  const fields = Object.entries(line).map(([key, value]) => `${key}=${lineValue(key, value)}`);
  process.stdout.write(`bench: ${fields.join(' ')} load="${loadAfter}"\n`);
  if ([...results, ...extra.scaleOut].some((r) => r.correct === false)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
