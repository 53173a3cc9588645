import { Injectable } from '@nestjs/common';
import { TransactionRunner } from '../database/transaction-runner';
import { visibilityHorizon } from '../database/visibility-horizon';

export interface PendingOutboxRow {
  id: string;
  insert_xid: string;
  event_id: string;
  invoice_id: string;
  source_event_id: string;
  tenant_id: string;
  order_id: string;
  amount: string;
  currency: string;
  invoice_created_at: Date;
  traceparent: string | null;
}

export interface OutboxBacklog {
  pending: number;
  oldestAgeSeconds: number;
}

export const OUTBOX_CHANNEL = 'invoice_outbox';
/** First key of the relay's advisory lock (any constant, used only here). */
const RELAY_LOCK_CLASS = 717_001;

/** Where the relay has published up to: every row at or before it in (insert_xid, id) order went out. */
export interface RelayCursor {
  insertXid: string;
  id: string;
}

@Injectable()
export class OutboxRepository {
  constructor(private readonly transactions: TransactionRunner) {}

  /**
   * Inside the caller's READ COMMITTED transaction: takes the relay lock (null when another replica holds it: one
   * relays at a time, so several replicas never publish a row at once), reads the cursor and the visibility horizon,
   * then returns up to `limit` rows after the cursor in (insert_xid, id) order. Each read is a later statement with a
   * later snapshot: the cursor as the previous holder left it, and only rows of transactions that had ended before
   * the horizon was read, so every row that can still commit sorts after the last row returned and moving the cursor
   * there (advanceCursor) never passes a row. An advisory lock, not FOR UPDATE: the round gets no transaction id
   * while it waits for the broker, so it does not hold back the horizon of the invoice listing or of the next round.
   */
  async takeNextBatch(limit: number): Promise<PendingOutboxRow[] | null> {
    const manager = this.transactions.manager();
    const [{ locked }]: { locked: boolean }[] = await manager.query(`SELECT pg_try_advisory_xact_lock($1, 0) AS locked`, [RELAY_LOCK_CLASS]);
    if (!locked) return null;
    const [cursor]: RelayCursor[] = await manager.query(`SELECT insert_xid::text AS "insertXid", id::text AS id FROM invoice_outbox_cursor`);
    const horizon = await visibilityHorizon(manager);
    // o.insert_xid, o.id: the bigints; the bare names would sort by the output's text columns.
    return manager.query(
      `SELECT id::text AS id, insert_xid::text AS insert_xid, event_id::text AS event_id, invoice_id::text AS invoice_id,
              source_event_id::text AS source_event_id, tenant_id, order_id, amount::text AS amount, currency, invoice_created_at, traceparent
       FROM invoice_outbox o WHERE (o.insert_xid, o.id) > ($1::bigint, $2::bigint) AND o.insert_xid < $3::bigint
       ORDER BY o.insert_xid, o.id LIMIT $4`,
      [cursor.insertXid, cursor.id, horizon, limit],
    );
  }

  /** Publishing costs one small write per batch, not one per row: the rows stay as they were written. */
  async advanceCursor(to: RelayCursor): Promise<void> {
    await this.transactions.manager().query(`UPDATE invoice_outbox_cursor SET insert_xid = $1, id = $2`, [to.insertXid, to.id]);
  }

  async backlog(): Promise<OutboxBacklog> {
    const [row]: { pending: string; oldest: number | null }[] = await this.transactions.manager().query(
      `SELECT count(*)::text AS pending, extract(epoch FROM now() - min(enqueued_at))::float8 AS oldest
       FROM invoice_outbox_pending`,
    );
    return { pending: Number(row.pending), oldestAgeSeconds: Math.max(0, row.oldest ?? 0) };
  }

  /**
   * Puts the invoice's row back in the queue, same event_id, and wakes the relays; null when the invoice has no row.
   * The row moves to this transaction's id, after the cursor: the relay reaches it once this commits.
   */
  async requeue(invoiceId: string): Promise<{ event_id: string; order_id: string } | null> {
    const rows: { event_id: string; order_id: string }[] = await this.transactions.manager().query(
      `WITH requeued AS (UPDATE invoice_outbox SET insert_xid = txid_current() WHERE invoice_id = $1 RETURNING event_id::text, order_id)
       SELECT r.*, pg_notify('${OUTBOX_CHANNEL}', '') IS NULL AS notified FROM requeued r`,
      [invoiceId],
    );
    return rows.length > 0 ? { event_id: rows[0].event_id, order_id: rows[0].order_id } : null;
  }
}
