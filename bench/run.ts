import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { barChartSvg } from './chart';
import { measureDatabaseLimit } from './db-limit';
import { BenchKafka, workload } from './events';
import { Latency, measureLatency } from './latency';
import { BenchDatabase, BROKERS, Child, measureUntilCount, numberOption, sleep, startChild, Throughput, uniqueName } from './support';

interface Options {
  events: number;
  partitions: number;
  concurrency: number;
  duplicateShare: number;
  rate: number;
  latencySeconds: number;
  dbBatchSize: number;
  variants: string[];
  out: string;
}

interface VariantResult {
  name: string;
  throughput: Throughput;
  correct?: boolean;
  check?: string;
  notes: string;
}

const SERVICE_MAIN = join(__dirname, '..', 'src', 'main.js');
const ALL_VARIANTS = ['raw', 'db', 'textbook', 'message', 'quiet', 'nooutbox', 'service'];
const TIMEOUT_MS = 20 * 60_000;

function parseOptions(argv: string[]): Options {
  const value = (name: string, fallback: number) => numberOption(argv, name, fallback);
  const outIndex = argv.indexOf('--out');
  return {
    events: value('events', 100_000),
    partitions: value('partitions', 12),
    concurrency: value('concurrency', 12),
    duplicateShare: value('duplicates', 0.01),
    rate: value('rate', 1000),
    latencySeconds: value('latency-seconds', 20),
    dbBatchSize: value('db-batch', 500),
    variants: (argv.includes('--variants') ? argv[argv.indexOf('--variants') + 1] : ALL_VARIANTS.join(',')).split(','),
    out: outIndex >= 0 ? argv[outIndex + 1] : join(__dirname, '..', '..', 'bench', 'results'),
  };
}

function log(text: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function machine() {
  const model = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  return { nproc: cpus().length, memoryGiB: +(totalmem() / 2 ** 30).toFixed(1), cpu: model.trim(), node: process.version };
}

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

async function rawConsumer(topic: string, expected: number, options: Options): Promise<VariantResult> {
  const child = startChild('raw', join(__dirname, 'raw-consumer.js'), {
    KAFKA_BROKERS: BROKERS.join(','),
    KAFKA_TOPIC: topic,
    KAFKA_GROUP_ID: uniqueName('bench-raw'),
    BENCH_EXPECTED: String(expected),
    KAFKA_PARTITIONS_CONCURRENCY: String(options.concurrency),
  });
  const deadline = Date.now() + TIMEOUT_MS;
  while (child.alive() && Date.now() < deadline) await sleep(100);
  await child.stop();
  const line = readFileSync(child.logFile, 'utf8').trim().split('\n').pop() ?? '';
  const throughput = JSON.parse(line) as Throughput;
  return { name: 'raw consume limit', throughput, notes: `kafkajs eachMessage doing nothing, partitionsConsumedConcurrently=${options.concurrency}` };
}

async function databaseLimit(events: Parameters<typeof measureDatabaseLimit>[1], options: Options): Promise<VariantResult> {
  const db = await BenchDatabase.create('db');
  try {
    const throughput = await measureDatabaseLimit(db.url, events, options.concurrency, options.dbBatchSize);
    return {
      name: 'database limit',
      throughput,
      notes: `the service's batch claim + invoice statements through pg, ${options.concurrency} connections, ${options.dbBatchSize} events per transaction, no Kafka`,
    };
  } finally {
    await db.drop();
  }
}

/** Runs one consumer process against its own database and group, and checks one invoice per distinct event. */
async function consumerVariant(
  label: string,
  script: string,
  env: Record<string, string>,
  expected: number,
  whileRunning?: (db: BenchDatabase, child: Child) => Promise<void>,
  prepare?: (db: BenchDatabase) => Promise<unknown>,
): Promise<{ throughput: Throughput; correct: boolean; check: string; peakRssMb: number }> {
  const db = await BenchDatabase.create(label);
  await prepare?.(db);
  const child = startChild(label, script, { DATABASE_URL: db.url, KAFKA_GROUP_ID: uniqueName(`bench-${label}`), ...env });
  try {
    const throughput = await measureUntilCount(db, expected, TIMEOUT_MS, child.alive);
    await sleep(2000);
    const invoices = await db.count('invoices');
    const claims = await db.count('processed_events');
    const [{ n: doubled }] = await db.query<{ n: string }>('SELECT count(*)::text AS n FROM (SELECT 1 FROM invoices GROUP BY tenant_id, order_id HAVING count(*) > 1) d');
    const correct = invoices === expected && claims === expected && doubled === '0';
    const check = `${invoices} invoices, ${claims} claims for ${expected} distinct events`;
    if (whileRunning) await whileRunning(db, child);
    return { throughput, correct, check, peakRssMb: child.peakRssMb() };
  } catch (error) {
    log(`${label} failed; its output is in ${child.logFile}`);
    throw error;
  } finally {
    await child.stop();
    await db.drop();
  }
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
  let latency: Latency | undefined;
  let peakRssMb = 0;
  try {
    const runs = (variant: string) => options.variants.includes(variant);
    const serviceEnv = async (mode: string) => ({
      KAFKA_BROKERS: BROKERS.join(','),
      KAFKA_TOPIC: topic,
      KAFKA_CONSUME_MODE: mode,
      KAFKA_PARTITIONS_CONCURRENCY: String(options.concurrency),
      PORT: String(await freePort()),
      AUTH_JWT_SECRET: 'bench-only-secret-0123456789-abcdefghijklmnop',
      NODE_ENV: 'production',
    });
    if (runs('raw')) {
      log('raw consume limit');
      results.push(await rawConsumer(topic, messages.length, options));
    }
    if (runs('db')) {
      log('database limit');
      results.push(await databaseLimit(distinctEvents, options));
    }
    if (runs('textbook')) {
      log('textbook consumer');
      const textbook = await consumerVariant(
        'textbook',
        join(__dirname, 'textbook', 'main.js'),
        { KAFKA_BROKERS: BROKERS.join(','), KAFKA_TOPIC: topic, KAFKA_PARTITIONS_CONCURRENCY: String(options.concurrency) },
        expected,
      );
      results.push({ name: 'textbook consumer', ...textbook, notes: 'Nest @EventPattern, select-then-insert, one transaction per message' });
    }
    if (runs('message')) {
      log('this service, per-message mode');
      const perMessage = await consumerVariant('service_msg', SERVICE_MAIN, await serviceEnv('message'), expected);
      results.push({ name: 'this service (per-message)', ...perMessage, notes: `KAFKA_CONSUME_MODE=message; peak RSS ${perMessage.peakRssMb.toFixed(0)} MB` });
    }
    if (runs('quiet')) {
      log('this service, batch mode, LOG_LEVEL=warn');
      const quiet = await consumerVariant('service_quiet', SERVICE_MAIN, { ...(await serviceEnv('batch')), LOG_LEVEL: 'warn' }, expected);
      results.push({ name: 'this service (batch, LOG_LEVEL=warn)', ...quiet, notes: `no info line per event; peak RSS ${quiet.peakRssMb.toFixed(0)} MB` });
    }
    if (runs('nooutbox')) {
      log('this service, batch mode, without the outbox');
      const bare = await consumerVariant('service_no_outbox', SERVICE_MAIN, { ...(await serviceEnv('batch')), OUTBOX_RELAY_ENABLED: 'false' }, expected, undefined, (db) =>
        db.query(DISCARD_OUTBOX_ROWS),
      );
      results.push({ name: NO_OUTBOX, ...bare, notes: 'batch mode; the outbox insert discarded by a BEFORE INSERT trigger, relay off: the service before issue #10' });
    }
    // Last: the latency run publishes more events to the topic, which the variants above must not see.
    if (runs('service')) {
      log('this service as shipped (batch mode, outbox and relay), child process node dist/src/main.js');
      let announced = '';
      const shipped = await consumerVariant('service', SERVICE_MAIN, { ...(await serviceEnv('batch')), OUTBOX_TOPIC: `${topic}.invoice-created` }, expected, async (db) => {
        announced = await waitForOutboxDrained(db, expected);
        log(`latency at ${options.rate}/s offered for ${options.latencySeconds} s`);
        latency = await measureLatency(kafka, topic, db.url, options.rate, options.latencySeconds);
      });
      peakRssMb = shipped.peakRssMb;
      const correct = shipped.correct && announced.startsWith('ok');
      results.push({ name: SHIPPED, ...shipped, correct, notes: `as shipped: batch mode, outbox written and relayed to invoice.created (${announced}); peak RSS ${peakRssMb.toFixed(0)} MB` });
    }
  } finally {
    await kafka.deleteTopics([topic, `${topic}.dlt`, `${topic}.invoice-created`]);
    await kafka.disconnect();
  }

  const loadAfter = load();
  log(`load average after: ${loadAfter}`);
  report(options, messages.length, expected, results, latency, peakRssMb, loadBefore, loadAfter);
}

const SHIPPED = 'this service (batch)';
const NO_OUTBOX = 'this service (batch, no outbox)';
/** The outbox statement still runs, but keeps no row: the cost of the service without its announcements. */
const DISCARD_OUTBOX_ROWS = `CREATE FUNCTION bench_discard() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
  CREATE TRIGGER bench_discard BEFORE INSERT ON invoice_outbox FOR EACH ROW EXECUTE FUNCTION bench_discard()`;

/** Waits until the relay has published every outbox row; says how long after the last invoice that took. */
async function waitForOutboxDrained(db: BenchDatabase, expected: number): Promise<string> {
  const started = performance.now();
  for (;;) {
    const [{ total, pending }] = await db.query<{ total: string; pending: string }>(
      'SELECT count(*)::text AS total, count(*) FILTER (WHERE published_at IS NULL)::text AS pending FROM invoice_outbox',
    );
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (pending === '0') return `${total === String(expected) ? 'ok' : 'WRONG'}: ${total} rows published, the last ${seconds} s after the last invoice`;
    if (performance.now() - started > TIMEOUT_MS) return `WRONG: ${pending} rows still pending after ${seconds} s`;
    await sleep(250);
  }
}

function report(
  options: Options,
  messageCount: number,
  expected: number,
  results: VariantResult[],
  latency: Latency | undefined,
  peakRssMb: number,
  loadBefore: string,
  loadAfter: string,
): void {
  const rate = (name: string) => results.find((r) => r.name === name)?.throughput.perSecond ?? NaN;
  const service = rate(SHIPPED);
  const noOutbox = rate(NO_OUTBOX);
  const textbook = rate('textbook consumer');
  const raw = rate('raw consume limit');
  const db = rate('database limit');
  const summary = {
    date: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: machine(),
    loadBefore,
    loadAfter,
    messages: messageCount,
    distinctEvents: expected,
    partitions: options.partitions,
    results,
    latency,
    peakRssMb,
  };
  mkdirSync(options.out, { recursive: true });
  writeFileSync(join(options.out, 'latest.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const bars = results.map((r) => ({ label: r.name, value: r.throughput.perSecond }));
  writeFileSync(join(options.out, 'throughput.svg'), barChartSvg(`Throughput per variant, ${messageCount.toLocaleString('en-US')} messages, ${options.partitions} partitions`, 'events/s', bars));
  const table = [
    '| variant | events/s | correctness | notes |',
    '|---|---:|---|---|',
    ...results.map((r) => `| ${r.name} | ${Math.round(r.throughput.perSecond).toLocaleString('en-US')} | ${r.check === undefined ? 'n/a' : `${r.correct ? 'ok' : 'WRONG'}: ${r.check}`} | ${r.notes} |`),
  ].join('\n');
  writeFileSync(join(options.out, 'latest.md'), `${table}\n\n${latency ? `Latency at ${latency.offeredPerSecond}/s offered (${latency.events} events): p50 ${latency.p50Ms.toFixed(1)} ms, p99 ${latency.p99Ms.toFixed(1)} ms, max ${latency.maxMs.toFixed(1)} ms\n` : ''}`);
  process.stdout.write(`${table}\n\n`);
  if (latency) process.stdout.write(`latency p50=${latency.p50Ms.toFixed(1)}ms p99=${latency.p99Ms.toFixed(1)}ms max=${latency.maxMs.toFixed(1)}ms\n`);
  process.stdout.write(`load average before: ${loadBefore}; after: ${loadAfter}\n`);
  const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : 'NaN');
  process.stdout.write(
    `bench: service=${fixed(service, 0)}/s textbook=${fixed(textbook, 0)}/s raw=${fixed(raw, 0)}/s db=${fixed(db, 0)}/s ratio_textbook=${fixed(service / textbook, 2)} ratio_raw=${fixed(service / raw, 2)} no_outbox=${fixed(noOutbox, 0)}/s ratio_outbox=${fixed(service / noOutbox, 2)} p99_ms=${fixed(latency?.p99Ms ?? NaN, 1)} rss_mb=${fixed(peakRssMb, 0)}\n`,
  );
  if (results.some((r) => r.correct === false)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

