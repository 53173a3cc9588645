import { Client } from 'pg';
import { benchEvent, BenchKafka, toMessage } from './events';
import { sleep } from './support';

export interface Latency {
  offeredPerSecond: number;
  /** Offered at the same rate before the measured events, not counted. */
  warmupSeconds: number;
  events: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface LatencyRun {
  ratePerSecond: number;
  seconds: number;
  /**
   * The first seconds after the service sat idle run slower than the rest (JIT and heap growth in both processes:
   * measured at 12-104 ms for 1.7 s, then 5-10 ms, BENCHMARKS.md): offered but not counted.
   */
  warmupSeconds: number;
  /** Create the notifying trigger (false when an earlier measurement on this database did). */
  install: boolean;
}

/**
 * Publish-to-commit latency at a fixed offered rate. A trigger on the variant's own database calls
 * pg_notify for each invoice; PostgreSQL delivers a notification only when the inserting transaction
 * commits, so its arrival marks the moment the invoice became visible. Both clocks are this process's.
 */
export async function measureLatency(kafka: BenchKafka, topic: string, databaseUrl: string, run: LatencyRun): Promise<Latency> {
  const { ratePerSecond, seconds, warmupSeconds, install } = run;
  const listener = new Client({ connectionString: databaseUrl });
  await listener.connect();
  if (install) {
    await listener.query(`CREATE FUNCTION bench_notify_invoice() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify('bench_invoice', NEW.event_id::text); RETURN NULL; END $$`);
    await listener.query(`CREATE TRIGGER bench_notify_invoice AFTER INSERT ON invoices FOR EACH ROW EXECUTE FUNCTION bench_notify_invoice()`);
  }
  const publishedAt = new Map<string, number>();
  const latencies: number[] = [];
  listener.on('notification', ({ payload }) => {
    const sent = payload ? publishedAt.get(payload) : undefined;
    if (sent !== undefined) latencies.push(performance.now() - sent);
  });
  await listener.query('LISTEN bench_invoice');
  try {
    const total = Math.round(ratePerSecond * seconds);
    const warmup = Math.round(ratePerSecond * warmupSeconds);
    await offerAtRate(kafka, topic, ratePerSecond, warmup + total, warmup, publishedAt);
    const deadline = Date.now() + 60_000;
    while (latencies.length < total && Date.now() < deadline) await sleep(100);
    if (latencies.length < total) throw new Error(`only ${latencies.length} of ${total} invoices committed`);
  } finally {
    await listener.end();
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { offeredPerSecond: ratePerSecond, warmupSeconds, events: sorted.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted[sorted.length - 1] };
}

/** Every 10 ms, sends what the schedule owes so far; the send time of each event from `measureFrom` on is taken just before its send. */
async function offerAtRate(
  kafka: BenchKafka,
  topic: string,
  ratePerSecond: number,
  total: number,
  measureFrom: number,
  publishedAt: Map<string, number>,
): Promise<void> {
  const start = performance.now();
  let sent = 0;
  const inFlight: Promise<unknown>[] = [];
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * ratePerSecond));
    if (due > sent) {
      const events = Array.from({ length: due - sent }, (_, i) => benchEvent(sent + i));
      const now = performance.now();
      events.forEach((event, i) => {
        if (sent + i >= measureFrom) publishedAt.set(event.event_id, now);
      });
      inFlight.push(kafka.producer.send({ topic, acks: -1, messages: events.map(toMessage) }));
      sent = due;
    }
    await sleep(10);
  }
  await Promise.all(inFlight);
}
