import { loadavg } from 'node:os';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { DataSource } from 'typeorm';
import { uuidV5 } from '../src/common/uuid-v5';
import { dataSourceOptions } from '../src/database/data-source-options';
import { fingerprintOf } from '../src/idempotency/idempotent-event';
import { ProcessedEventsRepository } from '../src/idempotency/processed-events.repository';
import { ANNOUNCEMENT_ID_NAMESPACE, INVOICE_ID_NAMESPACE, InvoicesRepository, NewInvoice } from '../src/invoices/invoices.repository';
import { TransactionRunner } from '../src/database/transaction-runner';
import { ConsumerOffsetsRepository } from '../src/consumer-offsets/consumer-offsets.repository';
import { BenchEvent } from './events';
import { CpuMeter, CpuShare, Query, Throughput } from './support';

/**
 * The database limit: the rows the service writes per event (the processed_events claim, the invoice and its
 * invoice_outbox row, plus one consumer_offsets upsert per transaction), with the same indexes and triggers and
 * synchronous_commit=on, written the fastest way found. Each worker holds one connection and owns a contiguous
 * slice of the events, as a partition would. Node work per event (fingerprints, ids) is done before the clock starts.
 * Each run also reads the CPU of the writers' PostgreSQL backends (/proc, as CpuMeter does for the consumers): the
 * final run's is db_pg_us of the bench line, what PostgreSQL spends per event when nothing but the rows is asked of it.
 *
 * Shapes: unnest = three multi-row INSERT ... SELECT FROM unnest($arrays); copy = COPY into a temporary staging
 * table, then the three INSERT ... SELECT and COMMIT in one round trip; service = the service's own repositories
 * (claim, then the invoice + outbox CTE) through TypeORM, as the consumer issues them.
 */
export const DB_SHAPES = ['unnest', 'copy', 'service'] as const;
export type DbShape = (typeof DB_SHAPES)[number];

export interface DbPoint extends Throughput {
  shape: DbShape;
  batchSize: number;
  concurrency: number;
  walBytesPerEvent: number;
  /** Over the run: the writers' PostgreSQL backends and the bench process (whose Node work is the writers'). */
  cpu: CpuShare;
  load: string;
}

interface Row {
  event: BenchEvent;
  fingerprint: string;
  invoiceId: string;
  announcementId: string;
}

const GROUP = 'bench-db';

export function prepareRows(events: readonly BenchEvent[]): Row[] {
  return events.map((event) => ({
    event,
    fingerprint: fingerprintOf([event.tenant_id, event.order_id, event.total, event.currency]),
    invoiceId: uuidV5(INVOICE_ID_NAMESPACE, event.event_id),
    announcementId: uuidV5(ANNOUNCEMENT_ID_NAMESPACE, event.event_id),
  }));
}

type Writer = (batch: readonly Row[], worker: number, lastOffset: number) => Promise<void>;

/** One run: `rows` written by `concurrency` workers in transactions of `batchSize`; tables emptied first. */
export async function measureDbPoint(url: string, rows: readonly Row[], shape: DbShape, batchSize: number, concurrency: number): Promise<DbPoint> {
  const admin = new Client({ connectionString: url });
  await admin.connect();
  const writers = await openWriters(url, shape, concurrency);
  try {
    await admin.query('TRUNCATE processed_events, invoices, invoice_outbox, consumer_offsets');
    await admin.query('CHECKPOINT').catch(() => undefined);
    const slice = Math.ceil(rows.length / concurrency);
    const query: Query = async <T>(sql: string, params?: unknown[]) => (await admin.query(sql, params)).rows as T[];
    const cpu = new CpuMeter(query, () => [process.pid]);
    await cpu.start(0);
    const started = performance.now();
    await Promise.all(
      writers.writers.map(async (write, w) => {
        const own = rows.slice(w * slice, (w + 1) * slice);
        for (let i = 0; i < own.length; i += batchSize) await write(own.slice(i, i + batchSize), w, i + batchSize);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    await cpu.end(rows.length);
    const usage = cpu.result as CpuShare;
    const [{ n }] = (await admin.query<{ n: string }>('SELECT count(*)::text AS n FROM invoice_outbox')).rows;
    if (Number(n) !== rows.length) throw new Error(`db ${shape}: ${n} outbox rows for ${rows.length} events`);
    const load = loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
    return {
      shape,
      batchSize,
      concurrency,
      events: rows.length,
      seconds,
      perSecond: rows.length / seconds,
      walBytesPerEvent: usage.walBytes / rows.length,
      cpu: usage,
      load,
    };
  } finally {
    await writers.close();
    await admin.end();
  }
}

async function openWriters(url: string, shape: DbShape, concurrency: number): Promise<{ writers: Writer[]; close: () => Promise<void> }> {
  if (shape === 'service') return serviceWriters(url, concurrency);
  const clients = await Promise.all(
    Array.from({ length: concurrency }, async () => {
      const client = new Client({ connectionString: url });
      await client.connect();
      if (shape === 'copy') await client.query(STAGE_TABLE);
      return client;
    }),
  );
  const write = shape === 'copy' ? writeByCopy : writeByUnnest;
  return {
    writers: clients.map((client) => (batch, w, last) => write(client, batch, w, last)),
    close: async () => void (await Promise.all(clients.map((c) => c.end()))),
  };
}

const OFFSET_UPSERT = `INSERT INTO consumer_offsets (group_id, topic, partition, next_offset) VALUES ('${GROUP}', 'bench', $1, $2)
  ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()
  WHERE consumer_offsets.next_offset < EXCLUDED.next_offset`;

async function inTransaction(client: Client, work: () => Promise<unknown>): Promise<void> {
  await client.query('BEGIN');
  try {
    await work();
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

async function writeByUnnest(client: Client, batch: readonly Row[], worker: number, lastOffset: number): Promise<void> {
  const claims = [...batch].sort((a, b) => compare(a.event.event_id, b.event.event_id));
  const invoices = [...batch].sort((a, b) => compare(a.event.tenant_id, b.event.tenant_id) || compare(a.event.order_id, b.event.order_id));
  const column = (pick: (r: Row) => string | null) => invoices.map(pick);
  await inTransaction(client, async () => {
    await client.query(
      `INSERT INTO processed_events (event_id, fingerprint) SELECT * FROM unnest($1::uuid[], $2::char(64)[]) ON CONFLICT (event_id) DO NOTHING`,
      [claims.map((r) => r.event.event_id), claims.map((r) => r.fingerprint)],
    );
    const params = [
      column((r) => r.invoiceId),
      column((r) => r.event.event_id),
      column((r) => r.event.tenant_id),
      column((r) => r.event.order_id),
      column((r) => r.event.total),
      column((r) => r.event.currency),
    ];
    await client.query(
      `INSERT INTO invoices (id, event_id, tenant_id, order_id, amount, currency)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::varchar[], $4::varchar[], $5::numeric[], $6::char(3)[]) ON CONFLICT DO NOTHING`,
      params,
    );
    await client.query(
      `INSERT INTO invoice_outbox (event_id, invoice_id, source_event_id, tenant_id, order_id, amount, currency, invoice_created_at, traceparent)
       SELECT a, i, e, t, o, m, c, now(), p FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::varchar[], $5::varchar[], $6::numeric[], $7::char(3)[], $8::varchar[]) AS u(a, i, e, t, o, m, c, p)`,
      [column((r) => r.announcementId), ...params, column(() => null)],
    );
    await client.query(OFFSET_UPSERT, [worker, lastOffset]);
  });
}

const STAGE_TABLE = `CREATE TEMP TABLE stage (event_id uuid, fingerprint char(64), invoice_id uuid, announcement_id uuid, tenant_id varchar(64),
  order_id varchar(128), amount numeric(20,2), currency char(3), traceparent varchar(55)) ON COMMIT DELETE ROWS`;
const FROM_STAGE = `INSERT INTO processed_events (event_id, fingerprint) SELECT event_id, fingerprint FROM stage ORDER BY event_id ON CONFLICT (event_id) DO NOTHING;
  INSERT INTO invoices (id, event_id, tenant_id, order_id, amount, currency)
    SELECT invoice_id, event_id, tenant_id, order_id, amount, currency FROM stage ORDER BY tenant_id, order_id ON CONFLICT DO NOTHING;
  INSERT INTO invoice_outbox (event_id, invoice_id, source_event_id, tenant_id, order_id, amount, currency, invoice_created_at, traceparent)
    SELECT announcement_id, invoice_id, event_id, tenant_id, order_id, amount, currency, now(), traceparent FROM stage ORDER BY tenant_id, order_id;`;

/** COPY text format: backslash, tab and line breaks escaped; \N is NULL. */
const copyText = (value: string) => value.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c] as string);

async function writeByCopy(client: Client, batch: readonly Row[], worker: number, lastOffset: number): Promise<void> {
  const text = batch
    .map((r) =>
      [
        r.event.event_id,
        r.fingerprint,
        r.invoiceId,
        r.announcementId,
        r.event.tenant_id,
        copyText(r.event.order_id),
        r.event.total,
        r.event.currency,
        '\\N',
      ].join('\t'),
    )
    .join('\n');
  await inTransaction(client, async () => {
    await new Promise<void>((resolve, reject) => {
      const stream = client.query(copyFrom('COPY stage FROM STDIN'));
      stream.on('finish', resolve).on('error', reject);
      stream.end(`${text}\n`);
    });
    await client.query(FROM_STAGE);
    await client.query(OFFSET_UPSERT, [worker, lastOffset]);
  });
}

/** The service's own statements: the claim, then the invoice + outbox CTE and the stored offset, in one transaction. */
async function serviceWriters(url: string, concurrency: number): Promise<{ writers: Writer[]; close: () => Promise<void> }> {
  const options = dataSourceOptions(url);
  const dataSource = new DataSource({ ...options, extra: { ...options.extra, max: concurrency } });
  await dataSource.initialize();
  const transactions = new TransactionRunner(dataSource);
  const claims = new ProcessedEventsRepository(transactions);
  const invoices = new InvoicesRepository(transactions);
  const offsets = new ConsumerOffsetsRepository(transactions);
  const write: Writer = (batch, worker, lastOffset) =>
    transactions.run(async () => {
      await claims.claimMany(batch.map((r) => ({ eventId: r.event.event_id, fingerprint: r.fingerprint })));
      await invoices.insertMany(batch.map(toNewInvoice));
      await offsets.advance(GROUP, [{ topic: 'bench', partition: worker, nextOffset: String(lastOffset) }]);
    });
  return { writers: Array.from({ length: concurrency }, () => write), close: () => dataSource.destroy() };
}

function toNewInvoice({ event }: Row): NewInvoice {
  return { eventId: event.event_id, tenantId: event.tenant_id, orderId: event.order_id, amount: event.total, currency: event.currency, traceparent: null };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface DbSweep {
  points: DbPoint[];
  best: DbPoint;
  /** The best point run again with every event: the db= of the bench line. */
  final: DbPoint;
  /** The service's statements at the service's settings (2,000 a transaction, 2 at once), every event. */
  serviceShape: DbPoint;
}

/** Sweeps shape x batch size x concurrency on `sweepEvents` events, then runs the best point and the service's shape on all. */
export async function sweepDatabaseLimit(
  url: string,
  events: readonly BenchEvent[],
  grid: { shapes: readonly DbShape[]; batchSizes: readonly number[]; concurrencies: readonly number[]; sweepEvents: number },
  progress: (point: DbPoint) => void,
): Promise<DbSweep> {
  const rows = prepareRows(events);
  const sample = rows.slice(0, Math.min(rows.length, grid.sweepEvents));
  const points: DbPoint[] = [];
  for (const shape of grid.shapes.filter((s) => s !== 'service'))
    for (const batchSize of grid.batchSizes)
      for (const concurrency of grid.concurrencies) {
        const point = await measureDbPoint(url, sample, shape, batchSize, concurrency);
        points.push(point);
        progress(point);
      }
  const best = points.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
  const final = await measureDbPoint(url, rows, best.shape, best.batchSize, best.concurrency);
  progress(final);
  const serviceShape = await measureDbPoint(url, rows, 'service', 2000, 2);
  progress(serviceShape);
  return { points, best, final, serviceShape };
}
