import { Injectable } from '@nestjs/common';
import { TransactionRunner } from '../database/transaction-runner';

export interface PendingOutboxRow {
  id: string;
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

/** First key of the relay's two-key advisory locks (the second is the shard); any constant, used only here. */
const SHARD_LOCK_CLASS = 717_001;
export const OUTBOX_CHANNEL = 'invoice_outbox';
const SHARD_OF = (column: string, shards: string) => `(abs(hashtext(${column})::bigint) % ${shards})::int`;

@Injectable()
export class OutboxRepository {
  constructor(private readonly transactions: TransactionRunner) {}

  /**
   * Inside the caller's transaction: locks up to maxShards shards that have pending rows and that no other
   * replica holds (a transaction-level advisory lock, released by commit, rollback or a dead session), then
   * returns their oldest pending rows in insert order. All rows of an order_id share a shard, so while one
   * replica relays a row no other replica can publish a later row of the same order. The rows are read by a
   * second statement, whose snapshot is taken after the locks: it sees what the previous holder marked.
   */
  async lockPendingBatch(shards: number, maxShards: number, limit: number): Promise<PendingOutboxRow[]> {
    const manager = this.transactions.manager();
    const locked: { shard: number }[] = await manager.query(
      `WITH head AS (SELECT DISTINCT ${SHARD_OF('order_id', '$1')} AS shard FROM
                      (SELECT order_id FROM invoice_outbox WHERE published_at IS NULL ORDER BY id LIMIT $2) p),
            candidates AS MATERIALIZED (SELECT shard FROM head ORDER BY random())
       SELECT shard FROM candidates WHERE pg_try_advisory_xact_lock(${SHARD_LOCK_CLASS}, shard) LIMIT $3`,
      [shards, limit, maxShards],
    );
    if (locked.length === 0) return [];
    // o.id, the bigint: a bare "id" would sort by the text column of the output.
    return manager.query(
      `SELECT id::text AS id, event_id::text AS event_id, invoice_id::text AS invoice_id, source_event_id::text AS source_event_id,
              tenant_id, order_id, amount::text AS amount, currency, invoice_created_at, traceparent
       FROM invoice_outbox o WHERE published_at IS NULL AND ${SHARD_OF('order_id', '$1')} = ANY($2::int[])
       ORDER BY o.id LIMIT $3`,
      [shards, locked.map((l) => l.shard), limit],
    );
  }

  async markPublished(ids: readonly string[]): Promise<void> {
    await this.transactions.manager().query(`UPDATE invoice_outbox SET published_at = now() WHERE id = ANY($1::bigint[])`, [ids]);
  }

  async backlog(): Promise<OutboxBacklog> {
    const [row]: { pending: string; oldest: number | null }[] = await this.transactions.manager().query(
      `SELECT count(*)::text AS pending, extract(epoch FROM now() - min(enqueued_at))::float8 AS oldest
       FROM invoice_outbox WHERE published_at IS NULL`,
    );
    return { pending: Number(row.pending), oldestAgeSeconds: Math.max(0, row.oldest ?? 0) };
  }

  /** Puts the invoice's row back in the queue, same event_id, and wakes the relays; null when the invoice has no row. */
  async requeue(invoiceId: string): Promise<{ event_id: string; order_id: string } | null> {
    const rows: { event_id: string; order_id: string }[] = await this.transactions.manager().query(
      `WITH requeued AS (UPDATE invoice_outbox SET published_at = NULL WHERE invoice_id = $1 RETURNING event_id::text, order_id)
       SELECT r.*, pg_notify('${OUTBOX_CHANNEL}', '') IS NULL AS notified FROM requeued r`,
      [invoiceId],
    );
    return rows.length > 0 ? { event_id: rows[0].event_id, order_id: rows[0].order_id } : null;
  }
}
