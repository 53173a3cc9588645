// npm run bench:drain -- [--events 20000] [--partitions 12] [--runs 3] [--after 2000]
// Sends SIGTERM to the built service (dist/src/main.js, its own process) while it consumes a backlog, and
// reports how long the drain takes: signal to exit, and the service's own "shutdown complete" duration.
// The Kubernetes terminationGracePeriodSeconds and compose stop_grace_period are sized from this number.
import { readFileSync } from 'node:fs';
import { spawnService, tempLogFile, TestDatabase } from '../test/support/fixture';
import { BROKERS, uniqueName } from '../test/support/kafka';
import { freePort } from '../test/support/standalone/service-process';
import { BenchKafka, toMessage, benchEvent } from './events';
import { numberOption, sleep } from './support';

interface Drain {
  run: number;
  exit_code: number | null;
  signal_to_exit_ms: number;
  shutdown_complete_ms: number;
  invoiced_before_sigterm: number;
  finished_after_sigterm: number;
}

const log = (text: string) => process.stderr.write(`[bench:drain ${new Date().toISOString().slice(11, 19)}] ${text}\n`);

function shutdownDurationMs(logFile: string): number {
  const line = readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg?: string; duration_ms?: number })
    .find((l) => l.msg === 'shutdown complete');
  return line?.duration_ms ?? NaN;
}

async function drainOnce(run: number, kafka: BenchKafka, events: number, partitions: number, after: number): Promise<Drain> {
  const db = await TestDatabase.create('bench_drain');
  const topic = uniqueName('order.completed.bench-drain');
  try {
    await kafka.createTopic(topic, partitions);
    await kafka.createTopic(`${topic}.dlt`, 1);
    await kafka.publishAll(
      topic,
      Array.from({ length: events }, (_, i) => toMessage(benchEvent(i))),
    );
    const env = { DATABASE_URL: db.url, KAFKA_BROKERS: BROKERS.join(','), KAFKA_TOPIC: topic, KAFKA_GROUP_ID: uniqueName('bench-drain') };
    const logFile = tempLogFile('bench-drain');
    // The built service as production starts it, the shipped heap flags included.
    const child = spawnService({
      env: { ...env, AUTH_JWT_SECRET: uniqueName('secret').repeat(4), PORT: String(await freePort()), NODE_ENV: 'production', LOG_FORMAT: 'json' },
      logFile,
      inheritEnv: true,
    });
    while ((await db.count('invoices')) < after) {
      if (!child.running) throw new Error(`the service exited early; see ${logFile}`);
      await sleep(20);
    }
    const invoicedBefore = await db.count('invoices');
    const signalledAt = performance.now();
    child.terminate();
    const { code: exitCode } = await child.exited;
    const signalToExit = performance.now() - signalledAt;
    const finished = (await db.count('invoices')) - invoicedBefore;
    return {
      run,
      exit_code: exitCode,
      signal_to_exit_ms: Math.round(signalToExit),
      shutdown_complete_ms: shutdownDurationMs(logFile),
      invoiced_before_sigterm: invoicedBefore,
      finished_after_sigterm: finished,
    };
  } finally {
    await kafka.deleteTopics([topic, `${topic}.dlt`]);
    await db.drop();
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const [events, partitions, runs, after] = [
    numberOption(argv, 'events', 20_000),
    numberOption(argv, 'partitions', 12),
    numberOption(argv, 'runs', 3),
    numberOption(argv, 'after', 2000),
  ];
  const kafka = await new BenchKafka().connect();
  const drains: Drain[] = [];
  try {
    for (let run = 1; run <= runs; run++) {
      drains.push(await drainOnce(run, kafka, events, partitions, after));
      log(JSON.stringify(drains[drains.length - 1]));
    }
  } finally {
    await kafka.disconnect();
  }
  const worst = Math.max(...drains.map((d) => d.signal_to_exit_ms));
  console.log(
    `bench:drain: events=${events} partitions=${partitions} runs=${runs} worst_signal_to_exit_ms=${worst} all_exit_0=${drains.every((d) => d.exit_code === 0)}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
