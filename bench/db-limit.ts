import { Pool } from 'pg';
import { fingerprintOf } from '../src/idempotency/idempotent-event';
import { BenchEvent } from './events';
import { Throughput } from './support';

/**
 * The database limit: the statements the service issues per batch (claim with one multi-row insert,
 * then the invoices with another, in one transaction), straight through pg at the service's
 * concurrency, no Kafka. Each worker owns a contiguous slice, as a partition would.
 */
export async function measureDatabaseLimit(url: string, events: BenchEvent[], concurrency: number, batchSize: number): Promise<Throughput> {
  const pool = new Pool({ connectionString: url, max: concurrency });
  const slice = Math.ceil(events.length / concurrency);
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async (_, w) => {
        const own = events.slice(w * slice, (w + 1) * slice);
        for (let i = 0; i < own.length; i += batchSize) await writeBatch(pool, own.slice(i, i + batchSize));
      }),
    );
  } finally {
    await pool.end();
  }
  const seconds = (performance.now() - started) / 1000;
  return { events: events.length, seconds, perSecond: events.length / seconds };
}

async function writeBatch(pool: Pool, batch: BenchEvent[]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const claims = [...batch].sort((a, b) => (a.event_id < b.event_id ? -1 : 1));
    await client.query(
      `INSERT INTO processed_events (event_id, fingerprint)
       SELECT * FROM unnest($1::uuid[], $2::char(64)[])
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id, processed_at`,
      [claims.map((e) => e.event_id), claims.map((e) => fingerprintOf([e.tenant_id, e.order_id, e.total, e.currency]))],
    );
    const invoices = [...batch].sort((a, b) => (a.tenant_id < b.tenant_id ? -1 : a.tenant_id > b.tenant_id ? 1 : a.order_id < b.order_id ? -1 : 1));
    await client.query(
      `INSERT INTO invoices (event_id, tenant_id, order_id, amount, currency)
       SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::numeric[], $5::char(3)[])
       ON CONFLICT DO NOTHING RETURNING event_id`,
      [invoices.map((e) => e.event_id), invoices.map((e) => e.tenant_id), invoices.map((e) => e.order_id), invoices.map((e) => e.total), invoices.map((e) => e.currency)],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}
