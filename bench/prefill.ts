import { randomBytes } from 'node:crypto';
import { TestDatabase } from '../test/support/fixture';

/** What a prefill left: the outbox rows above `lastOutboxId` are the service's own. */
export interface Prefill {
  rows: number;
  lastOutboxId: string;
  seconds: number;
}

/**
 * Row g of the load: keys that look random (md5 of a per-run seed and g, as uniformly spread over the indexes as the
 * service's random and derived UUIDs), tenant and order shaped like bench/events.ts (`order-p<g>-<8 hex>`: the `p`
 * keeps them apart from the bench's `order-<i>-…`), and a time spread evenly over the last 29 days, oldest first, so
 * the retention purge (30 days by default) would keep every row.
 */
const ROWS = `SELECT g,
    md5($2::text || 'event' || g)::uuid AS event_id,
    md5($2::text || 'invoice' || g)::uuid AS invoice_id,
    md5($2::text || 'announcement' || g)::uuid AS announcement_id,
    'tenant-' || (g % 50) AS tenant_id,
    'order-p' || g || '-' || left(md5($2::text || 'order' || g), 8) AS order_id,
    ((g % 100000) + 1 + (g % 100) / 100.0)::numeric(20,2) AS amount,
    now() - interval '29 days' * (1 - g::float8 / $1::int) AS at
  FROM generate_series(1, $1::int) g`;

/**
 * Bulk-loads `rows` claims, invoices and published outbox rows into the service's tables with SQL alone (never
 * through the service), with every index and constraint in place so the indexes grow as the service's would, then
 * VACUUM ANALYZE (the visibility map and planner statistics of a table that has lived) and a CHECKPOINT, so that
 * writing back the load is not part of what is measured next.
 */
export async function prefillTables(db: TestDatabase, rows: number): Promise<Prefill> {
  const started = performance.now();
  const seed = randomBytes(8).toString('hex');
  await db.query(
    `INSERT INTO processed_events (event_id, fingerprint, processed_at)
     SELECT event_id, encode(sha256(convert_to($2::text || 'fingerprint' || g, 'UTF8')), 'hex'), at FROM (${ROWS}) r`,
    [rows, seed],
  );
  await db.query(
    `INSERT INTO invoices (id, event_id, tenant_id, order_id, amount, currency, created_at)
     SELECT invoice_id, event_id, tenant_id, order_id, amount, 'USD', at FROM (${ROWS}) r`,
    [rows, seed],
  );
  // Every prefilled row published: the relay cursor stands past the last one.
  await db.query(
    `INSERT INTO invoice_outbox (event_id, invoice_id, source_event_id, tenant_id, order_id, amount, currency, invoice_created_at, traceparent, enqueued_at)
     SELECT announcement_id, invoice_id, event_id, tenant_id, order_id, amount, 'USD', at, NULL, at FROM (${ROWS}) r`,
    [rows, seed],
  );
  await db.markAllAnnounced();
  await db.query('VACUUM ANALYZE processed_events, invoices, invoice_outbox');
  await db.query('CHECKPOINT');
  const [{ last }] = await db.query<{ last: string }>('SELECT coalesce(max(id), 0)::text AS last FROM invoice_outbox');
  return { rows, lastOutboxId: last, seconds: (performance.now() - started) / 1000 };
}
