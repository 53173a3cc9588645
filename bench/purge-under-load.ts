// npm run bench:purge -- [--rows 1000000] [--batch 5000] [--rate 500]
// Purges `rows` expired claims while the service's consumer processes a steady stream of events, and
// reports the purge time and what the consumer saw: longest gap between commits, event latency.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { INestApplication } from '@nestjs/common';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { EventOutcomeRecorder } from '../src/observability/event-outcome.recorder';
import { RetentionService } from '../src/retention/retention.service';
import { startTestApp, TestDatabase } from '../test/support/fixture';
import { BROKERS, TestKafka, uniqueName } from '../test/support/kafka';
import { numberOption, sleep } from './support';

interface Options {
  rows: number;
  batch: number;
  rate: number;
  baselineSeconds: number;
}

interface Commit {
  at: number;
  latencyMs: number;
}

function parseOptions(argv: string[]): Options {
  const value = (name: string, fallback: number) => numberOption(argv, name, fallback);
  return { rows: value('rows', 1_000_000), batch: value('batch', 5000), rate: value('rate', 500), baselineSeconds: value('baseline-seconds', 10) };
}

const log = (text: string) => process.stderr.write(`[bench:purge ${new Date().toISOString().slice(11, 19)}] ${text}\n`);

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** What the consumer experienced in [from, to): commits, longest gap between two commits, latency. */
function window(commits: Commit[], from: number, to: number) {
  const inside = commits.filter((c) => c.at >= from && c.at < to);
  const times = [from, ...inside.map((c) => c.at), to];
  const longestGapMs = Math.max(...times.slice(1).map((t, i) => t - times[i]));
  const latencies = inside.map((c) => c.latencyMs).sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    seconds: round((to - from) / 1000),
    events: inside.length,
    events_per_second: round(inside.length / ((to - from) / 1000)),
    longest_gap_between_commits_ms: round(longestGapMs),
    latency_p50_ms: round(percentile(latencies, 50)),
    latency_p99_ms: round(percentile(latencies, 99)),
    latency_max_ms: round(latencies[latencies.length - 1] ?? NaN),
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const db = await TestDatabase.create('bench_purge');
  const topic = uniqueName('order.completed.bench-purge');
  const kafka = new Kafka({ clientId: uniqueName('bench-purge'), brokers: BROKERS, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  let app: INestApplication | undefined;
  try {
    log(`inserting ${options.rows} claims aged 40 days and more`);
    let started = performance.now();
    await db.query(
      `INSERT INTO processed_events (event_id, fingerprint, processed_at)
       SELECT gen_random_uuid(), repeat('0', 64), now() - interval '40 days' - i * interval '1 second' FROM generate_series(1, $1) AS i`,
      [options.rows],
    );
    await db.query('VACUUM ANALYZE processed_events');
    log(`inserted in ${((performance.now() - started) / 1000).toFixed(1)} s; starting the service`);

    const topics = await new TestKafka().connect();
    await topics.createTopic(topic, 12);
    await topics.disconnect();
    await producer.connect();
    ({ app } = await startTestApp({
      databaseUrl: db.url,
      topic,
      groupId: uniqueName('bench-purge'),
      env: { CLEANUP_BATCH_SIZE: String(options.batch), LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
      logs: 'stdout',
    }));

    const sentAt = new Map<string, number>();
    const commits: Commit[] = [];
    const recorder = app.get(EventOutcomeRecorder);
    const record = recorder.record.bind(recorder);
    recorder.record = (outcome, details) => {
      const now = performance.now();
      const sent = details.event?.eventId ? sentAt.get(details.event.eventId) : undefined;
      if (sent !== undefined) commits.push({ at: now, latencyMs: now - sent });
      record(outcome, details);
    };

    let producing = true;
    const tickMs = 50;
    const perTick = Math.max(1, Math.round((options.rate * tickMs) / 1000));
    const load = (async () => {
      for (let next = performance.now(); producing; next += tickMs) {
        const messages = Array.from({ length: perTick }, () => {
          const event = { event_id: randomUUID(), order_id: `order-${randomUUID()}`, tenant_id: 'bench', total: '10.00', currency: 'USD' };
          sentAt.set(event.event_id, performance.now());
          return { key: event.order_id, value: JSON.stringify(event) };
        });
        await producer.send({ topic, acks: -1, messages });
        await sleep(Math.max(0, next + tickMs - performance.now()));
      }
    })();

    while (commits.length === 0) await sleep(100);
    log(`consumer is processing ~${options.rate} events/s; measuring a ${options.baselineSeconds} s baseline`);
    const baselineFrom = performance.now();
    await sleep(options.baselineSeconds * 1000);
    const purgeFrom = performance.now();
    log(`purging with batch size ${options.batch}`);
    const result = await app.get(RetentionService).purge('admin');
    const purgeTo = performance.now();
    await sleep(2000);
    producing = false;
    await load;
    started = performance.now();
    while (commits.length < sentAt.size && performance.now() - started < 60_000) await sleep(100);

    const report = {
      rows: options.rows,
      batch_size: options.batch,
      purge: { deleted: result.deleted, duration_ms: result.duration_ms, rows_per_second: Math.round(result.deleted / (result.duration_ms / 1000)) },
      consumer_before_purge: window(commits, baselineFrom, purgeFrom),
      consumer_during_purge: window(commits, purgeFrom, purgeTo),
      events_published: sentAt.size,
      events_committed: commits.length,
    };
    console.log(JSON.stringify(report, null, 2));
  } finally {
    await app?.close();
    await producer.disconnect().catch(() => undefined);
    await db.drop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
