// npm run bench:drain -- [--events 20000] [--partitions 12] [--runs 3] [--after 2000]
// Sends SIGTERM to the built service (dist/src/main.js, its own process) while it consumes a backlog, and
// reports how long the drain takes: signal to exit, and the service's own "shutdown complete" duration.
// The Kubernetes terminationGracePeriodSeconds and compose stop_grace_period are sized from this number.
import { readFileSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { BenchKafka, toMessage, benchEvent } from './events';
import { BenchDatabase, numberOption, sleep, startChild, uniqueName, BROKERS } from './support';

interface Drain {
  run: number;
  exit_code: number | null;
  signal_to_exit_ms: number;
  shutdown_complete_ms: number;
  invoiced_before_sigterm: number;
  finished_after_sigterm: number;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
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
  const db = await BenchDatabase.create('drain');
  const topic = uniqueName('order.completed.bench-drain');
  try {
    await kafka.createTopic(topic, partitions);
    await kafka.createTopic(`${topic}.dlt`, 1);
    await kafka.publishAll(
      topic,
      Array.from({ length: events }, (_, i) => toMessage(benchEvent(i))),
    );
    const env = { DATABASE_URL: db.url, KAFKA_BROKERS: BROKERS.join(','), KAFKA_TOPIC: topic, KAFKA_GROUP_ID: uniqueName('bench-drain') };
    const child = startChild('drain', 'dist/src/main.js', {
      ...env,
      AUTH_JWT_SECRET: uniqueName('secret').repeat(4),
      PORT: String(await freePort()),
      NODE_ENV: 'production',
      LOG_FORMAT: 'json',
    });
    while ((await db.count('invoices')) < after) {
      if (!child.alive()) throw new Error(`the service exited early; see ${child.logFile}`);
      await sleep(20);
    }
    const invoicedBefore = await db.count('invoices');
    const exited = new Promise<number | null>((resolve) => child.process.once('exit', (code) => resolve(code)));
    const signalledAt = performance.now();
    child.process.kill('SIGTERM');
    const exitCode = await exited;
    const signalToExit = performance.now() - signalledAt;
    const finished = (await db.count('invoices')) - invoicedBefore;
    return {
      run,
      exit_code: exitCode,
      signal_to_exit_ms: Math.round(signalToExit),
      shutdown_complete_ms: shutdownDurationMs(child.logFile),
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
