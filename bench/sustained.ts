import { KafkaMessage } from 'kafkajs';
import { TestDatabase } from '../test/support/fixture';
import { BenchKafka } from './events';
import { AnnouncementLag } from './support';

/** One window of the sustained run, its times counted from the first invoice (the start of its transaction). */
export interface SustainedWindow {
  fromSeconds: number;
  toSeconds: number;
  /** False for the last window when the run ended inside it. */
  full: boolean;
  invoicesCommitted: number;
  perSecond: number;
  /** Of the outbox rows whose invoicing transaction started in the window. */
  lag: AnnouncementLag;
}

export interface Sustained {
  windowSeconds: number;
  windows: SustainedWindow[];
  /** Over every row of the run. */
  lag: AnnouncementLag;
  /** Records read back from the outbox topic, a row sent twice counted twice. */
  records: number;
  firstFull?: SustainedWindow;
  lastFull?: SustainedWindow;
  /** The last full window's lag p99 over the first's. */
  lagGrowth: number;
}

interface Sample {
  atMs: number;
  invoices: number;
}

interface LagByWindow {
  startMs: number;
  records: number;
  overall: AnnouncementLag;
  windows: Map<number, AnnouncementLag>;
}

/**
 * What the sustained variant measures besides what every variant does: the committed invoices sampled over time, and
 * the announcement lag by the window its invoicing transaction started in. Both are read without holding the run's
 * millions of rows in this process.
 */
export class SustainedRecorder {
  private readonly samples: Sample[] = [];
  private lagByWindow?: LagByWindow;

  constructor(
    private readonly kafka: BenchKafka,
    private readonly windowSeconds: number,
  ) {}

  /** The count measureUntilCount samples, each kept with its time. */
  counter(db: TestDatabase): () => Promise<number> {
    const committed = committedCounter(db);
    return async () => {
      const atMs = Date.now();
      const invoices = await committed();
      this.samples.push({ atMs, invoices });
      return invoices;
    };
  }

  /**
   * Once the outbox is drained: every record of the outbox topic goes, as its event_id and timestamp, into a table of
   * the variant's database, where the lag is computed as bench/run.ts's announcementLag does it (first send minus
   * enqueued_at), by window.
   */
  async announcementLag(db: TestDatabase, outboxTopic: string): Promise<AnnouncementLag> {
    await db.query('CREATE UNLOGGED TABLE bench_sends (event_id uuid NOT NULL, sent_ms float8 NOT NULL)');
    const records = await this.kafka.readToEnd(outboxTopic, (batch) => insertSends(db, batch));
    const [{ start_ms: startMs }] = await db.query<{ start_ms: number }>(
      'SELECT extract(epoch FROM min(enqueued_at))::float8 * 1000 AS start_ms FROM invoice_outbox',
    );
    const rows = await db.query<LagRow>(LAG_BY_WINDOW, [startMs, this.windowSeconds * 1000]);
    const overall = rows.find((r) => r.overall);
    const windows = new Map(rows.filter((r) => !r.overall).map((r) => [r.window_index, toLag(r)]));
    this.lagByWindow = { startMs, records, overall: overall ? toLag(overall) : NO_LAG, windows };
    return this.lagByWindow.overall;
  }

  /** The windows from the first invoice to the sample that saw the `expected`-th. */
  summary(expected: number): Sustained {
    if (!this.lagByWindow) throw new Error('the announcements were not read back');
    const { startMs, records, overall } = this.lagByWindow;
    const endMs = this.samples.find((s) => s.invoices >= expected)?.atMs ?? NaN;
    const count = Math.max(0, Math.ceil((endMs - startMs) / (this.windowSeconds * 1000)));
    const windows = Array.from({ length: count }, (_, k) => this.window(k, startMs, endMs));
    const full = windows.filter((w) => w.full);
    const [firstFull, lastFull] = [full[0], full.at(-1)];
    const lagGrowth = firstFull && lastFull ? lastFull.lag.p99Ms / firstFull.lag.p99Ms : NaN;
    return { windowSeconds: this.windowSeconds, windows, lag: overall, records, firstFull, lastFull, lagGrowth };
  }

  private window(k: number, startMs: number, endMs: number): SustainedWindow {
    const windowMs = this.windowSeconds * 1000;
    const fromMs = startMs + k * windowMs;
    const toMs = Math.min(fromMs + windowMs, endMs);
    const invoicesCommitted = this.committedAt(toMs) - this.committedAt(fromMs);
    return {
      fromSeconds: (fromMs - startMs) / 1000,
      toSeconds: (toMs - startMs) / 1000,
      full: fromMs + windowMs <= endMs,
      invoicesCommitted,
      perSecond: invoicesCommitted / ((toMs - fromMs) / 1000),
      lag: this.lagByWindow?.windows.get(k) ?? NO_LAG,
    };
  }

  /** The count of the last sample at or before the time: as of at most one sampling interval (250 ms) earlier. */
  private committedAt(ms: number): number {
    return this.samples.findLast((s) => s.atMs <= ms)?.invoices ?? 0;
  }
}

/**
 * The run's committed invoices, by their outbox rows (the same statement writes both), without counting millions of
 * rows every 250 ms: the rows of transactions older than the oldest one still running (the snapshot's xmin) can no
 * longer appear, so each is counted once, and every later count reads from that xmin on, on the relay's
 * (insert_xid, id) index.
 */
export function committedCounter(db: TestDatabase): () => Promise<number> {
  let settled = 0;
  let fromXid = '0';
  return async () => {
    const [row] = await db.query<{ xmin: string; settled: string; seen: string }>(COUNT_FROM_XID, [fromXid]);
    const committed = settled + Number(row.seen);
    settled += Number(row.settled);
    fromXid = row.xmin;
    return committed;
  };
}

const COUNT_FROM_XID = `WITH s AS MATERIALIZED (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin)
  SELECT (SELECT xmin FROM s)::text AS xmin, count(*) FILTER (WHERE insert_xid < (SELECT xmin FROM s))::text AS settled, count(*)::text AS seen
  FROM invoice_outbox WHERE insert_xid >= $1`;

interface LagRow {
  window_index: number;
  overall: boolean;
  announced: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

/** $1: the first invoice's time and $2: the window, in epoch ms; one row per window and one (overall) for the run. */
const LAG_BY_WINDOW = `WITH first_send AS (SELECT event_id, min(sent_ms) AS sent_ms FROM bench_sends GROUP BY event_id),
  lags AS (
    SELECT floor((extract(epoch FROM o.enqueued_at)::float8 * 1000 - $1) / $2)::int AS window_index,
           f.sent_ms - extract(epoch FROM o.enqueued_at)::float8 * 1000 AS lag_ms
    FROM invoice_outbox o JOIN first_send f USING (event_id))
  SELECT window_index, GROUPING(window_index) = 1 AS overall, count(*)::int AS announced,
         percentile_disc(0.5) WITHIN GROUP (ORDER BY lag_ms) AS p50_ms, percentile_disc(0.99) WITHIN GROUP (ORDER BY lag_ms) AS p99_ms,
         max(lag_ms) AS max_ms
  FROM lags GROUP BY GROUPING SETS ((window_index), ())`;

const NO_LAG: AnnouncementLag = { rows: 0, p50Ms: NaN, p99Ms: NaN, maxMs: NaN };
const toLag = (r: LagRow): AnnouncementLag => ({ rows: r.announced, p50Ms: r.p50_ms, p99Ms: r.p99_ms, maxMs: r.max_ms });

async function insertSends(db: TestDatabase, records: KafkaMessage[]): Promise<void> {
  const eventIds = records.map((r) => (JSON.parse(String(r.value)) as { event_id: string }).event_id);
  await db.query('INSERT INTO bench_sends SELECT * FROM unnest($1::uuid[], $2::float8[])', [eventIds, records.map((r) => Number(r.timestamp))]);
}
