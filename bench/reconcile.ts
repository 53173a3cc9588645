// npm run bench:reconcile -- [--count 180000] [--partitions 12] [--max-rss-mb 256] [--heap-mb 128 (0: Node's default)]
// Publishes count events plus 10% exact duplicates and 1% poison (about 200,000 messages), lets the service bill
// them, then runs the built reconcile CLI as its own process over a quarter of the range and over all of it:
// throughput and peak RSS of each, so a memory bound that does not grow with the range shows in one run.
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { Kafka, logLevel } from 'kafkajs';
import { publishEvents } from '../src/cli/publish';
import { startTestApp, TestDatabase } from '../test/support/fixture';
import { BROKERS, uniqueName } from '../test/support/kafka';
import { numberOption, sleep } from './support';

interface Options {
  count: number;
  partitions: number;
  maxRssMb: number;
  /** V8's old-space limit of the reconcile process, as npm run reconcile sets it (--max-old-space-size); 0: Node's default. */
  heapMb: number;
}

interface Run {
  label: string;
  messages: number;
  /** Wall time of the process, start to exit (connects and group joins included). */
  seconds: number;
  messages_per_second: number;
  /** As the CLI measured itself, from its first admin call to its summary. */
  in_run_messages_per_second: number;
  peak_rss_mb: number;
  exit_code: number;
  summary: string;
}

function parseOptions(argv: string[]): Options {
  const value = (name: string, fallback: number) => numberOption(argv, name, fallback);
  return { count: value('count', 180_000), partitions: value('partitions', 12), maxRssMb: value('max-rss-mb', 256), heapMb: value('heap-mb', 128) };
}

const log = (text: string) => process.stderr.write(`[bench:reconcile ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function waitForCommits(kafka: Kafka, groupId: string, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const end = (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
    for (;;) {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const done = committed.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
      if (done >= end) return end;
      await sleep(1000);
    }
  } finally {
    await admin.disconnect();
  }
}

/** An offset bound at a quarter of every partition's end offset. */
async function quarterOffsets(kafka: Kafka, topic: string): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).map((p) => `${p.partition}:${Math.floor(Number(p.high) / 4)}`).join(',');
  } finally {
    await admin.disconnect();
  }
}

/** The built CLI as an operator runs it; its summary carries its own peak RSS (getrusage), read from its output. */
function runReconcile(label: string, args: string[], env: Record<string, string>, heapMb: number): Promise<Run> {
  const out = join(tmpdir(), `${uniqueName('reconcile')}.csv`);
  const child = spawn(
    process.execPath,
    [...(heapMb > 0 ? [`--max-old-space-size=${heapMb}`] : []), 'dist/src/cli/reconcile.js', ...args, '--format', 'csv', '--out', out],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const started = performance.now();
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      rmSync(out, { force: true });
      const seconds = (performance.now() - started) / 1000;
      const messages = Number(/^ {2}messages +(\d+)$/m.exec(stdout)?.[1] ?? NaN);
      const [, inRun, peak] = (/\((\d+) messages\/s\), peak RSS (\d+) MB/.exec(stdout) ?? []).map(Number);
      const wall = { seconds: Math.round(seconds * 10) / 10, messages_per_second: Math.round(messages / seconds) };
      resolve({ label, messages, ...wall, in_run_messages_per_second: inRun, peak_rss_mb: peak, exit_code: code ?? -1, summary: stdout.trim() });
    });
  });
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const db = await TestDatabase.create('bench_reconcile');
  const kafka = new Kafka({ clientId: 'bench-reconcile', brokers: BROKERS, logLevel: logLevel.NOTHING });
  const topic = uniqueName('order.completed.bench-reconcile');
  const groupId = uniqueName('bench-reconcile');
  let app: INestApplication | undefined;
  try {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic, numPartitions: options.partitions },
        { topic: `${topic}.dlt`, numPartitions: 1 },
      ],
      waitForLeaders: true,
    });
    await admin.disconnect();
    const from = new Date(Date.now() - 1000);
    log(`publishing ${options.count} events + 10% duplicates + 1% poison to ${topic} (${options.partitions} partitions)`);
    const published = await publishEvents({ count: options.count, tenants: 20, duplicateRate: 0.1, poisonRate: 0.01, topic, brokers: BROKERS });
    log(`published ${published.events}; the service bills them`);
    ({ app } = await startTestApp({ databaseUrl: db.url, topic, groupId, env: { LOG_LEVEL: 'error' }, logs: 'stdout' }));
    const end = await waitForCommits(kafka, groupId, topic);
    await app.close();
    app = undefined;
    const to = new Date(Date.now() + 1);
    const quarterTo = await quarterOffsets(kafka, topic);
    const env = { DATABASE_URL: db.url, KAFKA_BROKERS: BROKERS.join(','), KAFKA_TOPIC: topic, KAFKA_GROUP_ID: groupId };
    const loadBefore = load();
    log(`${end} messages committed; reconciling (load average ${loadBefore})`);
    const quarter = await runReconcile('first quarter of every partition', ['--from', from.toISOString(), '--to', quarterTo], env, options.heapMb);
    const whole = await runReconcile('whole range', ['--from', from.toISOString(), '--to', to.toISOString()], env, options.heapMb);
    const loadAfter = load();
    for (const run of [quarter, whole]) log(`${run.label}:\n${run.summary}`);
    const result = {
      date: new Date().toISOString(),
      published,
      options,
      load_before: loadBefore,
      load_after: loadAfter,
      runs: [quarter, whole].map(({ summary: _summary, ...run }) => run),
    };
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/reconcile.json', `${JSON.stringify(result, null, 2)}\n`);
    const ok = whole.exit_code === 0 && whole.messages === published.events && whole.peak_rss_mb <= options.maxRssMb;
    console.log(
      `bench:reconcile: messages=${whole.messages} seconds=${whole.seconds} per_second=${whole.messages_per_second} in_run_per_second=${whole.in_run_messages_per_second} peak_rss_mb=${whole.peak_rss_mb} ` +
        `quarter_messages=${quarter.messages} quarter_peak_rss_mb=${quarter.peak_rss_mb} max_rss_mb=${options.maxRssMb} exit=${whole.exit_code} load="${loadAfter}"`,
    );
    if (!ok) process.exitCode = 1;
  } finally {
    await app?.close();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
