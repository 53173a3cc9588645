import { Injectable } from '@nestjs/common';
import { uuidV5 } from '../common/uuid-v5';
import { visibilityHorizon } from '../database/visibility-horizon';
import { TransactionRunner } from '../database/transaction-runner';
import { InvoicePosition } from './invoice-cursor';

export interface NewInvoice {
  eventId: string;
  tenantId: string;
  orderId: string;
  amount: string;
  currency: string;
  /** Passed on to the invoice.created announcement. */
  traceparent: string | null;
}

export interface InvoiceRow {
  id: string;
  event_id: string;
  tenant_id: string;
  order_id: string;
  amount: string;
  currency: string;
  created_at: Date;
  insert_xid: string;
}

export interface InvoiceListFilter {
  tenantId: string;
  orderId?: string;
  createdFrom?: Date;
  createdTo?: Date;
  after?: InvoicePosition;
  limit: number;
}

/**
 * created: the invoice was inserted. order_taken: the order already has an invoice of another event.
 * event_invoiced / event_conflict: this event_id already has an invoice, with the same / other billing fields.
 */
export type InsertOutcome = 'created' | 'order_taken' | 'event_invoiced' | 'event_conflict';

/**
 * The invoice id and its announcement's event_id derive from the source event_id: an invoice made again after a
 * database restore is the same invoice, announced with the same event_id, so downstream deduplication holds.
 */
export const INVOICE_ID_NAMESPACE = '0f6a2c4e-5b1d-4f3a-9c7e-1d2b3a4c5d6e';
export const ANNOUNCEMENT_ID_NAMESPACE = '7d3e9a1b-2c4f-4e6a-8b0d-9f1e2d3c4b5a';

const COLUMNS = 'id, event_id, tenant_id, order_id, amount, currency, created_at, insert_xid';

@Injectable()
export class InvoicesRepository {
  constructor(private readonly transactions: TransactionRunner) {}

  /**
   * Inserts many invoices, and the invoice.created outbox row of each one created, with one statement, and says,
   * per event, what happened. The outbox row's event_id is drawn here, so every publish of it carries the same
   * id. The (tenant_id, order_id) backstop is a typed outcome, not an error. An event_id that already has an invoice (its claim was purged
   * by retention) is not inserted: it is the same event again when the billing fields match, a conflict
   * otherwise. The claim of each event_id is held by the caller's transaction, so no other transaction can
   * insert the same event_id meanwhile; should the unique key still fire, the error is the final judge.
   * Rows go in sorted by order so concurrent batches lock in one order; the sort is stable, so of two events
   * for one order the earlier one wins, as one at a time would. Only an event not inserted looks up the invoice
   * that holds its event_id (a subquery in the CASE): a created one cannot have another, and skipping the probe
   * saves an index lookup per event.
   */
  async insertMany(invoices: readonly NewInvoice[]): Promise<Map<string, InsertOutcome>> {
    const sorted = [...invoices].sort((a, b) => compareText(a.tenantId, b.tenantId) || compareText(a.orderId, b.orderId));
    const rows: { event_id: string; outcome: InsertOutcome }[] = await this.transactions.manager().query(
      `WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::numeric[], $5::char(3)[], $6::varchar[], $7::uuid[], $8::uuid[])
           WITH ORDINALITY AS t(event_id, tenant_id, order_id, amount, currency, traceparent, invoice_id, announcement_id, n)),
       inserted AS (
         INSERT INTO invoices (id, event_id, tenant_id, order_id, amount, currency)
         SELECT invoice_id, event_id, tenant_id, order_id, amount, currency FROM input i
         WHERE NOT EXISTS (SELECT 1 FROM invoices v WHERE v.event_id = i.event_id)
         ORDER BY n
         ON CONFLICT (tenant_id, order_id) DO NOTHING
         RETURNING id, event_id, created_at),
       announced AS (
         INSERT INTO invoice_outbox (event_id, invoice_id, source_event_id, tenant_id, order_id, amount, currency, invoice_created_at, traceparent)
         SELECT i.announcement_id, ins.id, ins.event_id, i.tenant_id, i.order_id, i.amount, i.currency, ins.created_at, i.traceparent
         FROM inserted ins JOIN input i ON i.event_id = ins.event_id
         ORDER BY i.n)
       SELECT i.event_id::text AS event_id,
              CASE WHEN ins.event_id IS NOT NULL THEN 'created'
                   ELSE coalesce((SELECT CASE WHEN (v.tenant_id, v.order_id, v.amount, v.currency) = (i.tenant_id, i.order_id, i.amount, i.currency)
                                              THEN 'event_invoiced' ELSE 'event_conflict' END
                                  FROM invoices v WHERE v.event_id = i.event_id), 'order_taken') END AS outcome
       FROM input i
       LEFT JOIN inserted ins ON ins.event_id = i.event_id`,
      [
        sorted.map((i) => i.eventId),
        sorted.map((i) => i.tenantId),
        sorted.map((i) => i.orderId),
        sorted.map((i) => i.amount),
        sorted.map((i) => i.currency),
        sorted.map((i) => i.traceparent),
        sorted.map((i) => uuidV5(INVOICE_ID_NAMESPACE, i.eventId)),
        sorted.map((i) => uuidV5(ANNOUNCEMENT_ID_NAMESPACE, i.eventId)),
      ],
    );
    return new Map(rows.map((row) => [row.event_id, row.outcome]));
  }

  /**
   * One page in (insert_xid, id) order, limited to rows below the visibility horizon: created_at is taken when
   * a transaction starts, so rows commit out of order, and a plain (created_at, id) cursor would skip a row
   * that commits behind it. Transaction ids are ordered too, but the horizon makes the order safe: every row
   * listed comes from a transaction that had finished before this page's snapshot, and every transaction
   * still running has an id at or above the horizon, so nothing can ever commit behind a cursor.
   */
  async listPage(filter: InvoiceListFilter): Promise<InvoiceRow[]> {
    const horizon = await visibilityHorizon(this.transactions.manager());
    const params: unknown[] = [filter.tenantId, horizon];
    const where = ['tenant_id = $1', 'insert_xid < $2'];
    const add = (sql: (n: string) => string, ...values: unknown[]) => {
      const placeholders = values.map((v) => `$${params.push(v)}`);
      where.push(sql(placeholders.join(', ')));
    };
    if (filter.orderId !== undefined) add((p) => `order_id = ${p}`, filter.orderId);
    if (filter.createdFrom) add((p) => `created_at >= ${p}`, filter.createdFrom);
    if (filter.createdTo) add((p) => `created_at < ${p}`, filter.createdTo);
    if (filter.after) add((p) => `(insert_xid, id) > (${p})`, filter.after.insertXid, filter.after.id);
    params.push(filter.limit);
    return this.transactions
      .manager()
      .query(`SELECT ${COLUMNS} FROM invoices WHERE ${where.join(' AND ')} ORDER BY insert_xid, id LIMIT $${params.length}`, params);
  }

  async findForTenant(tenantId: string, id: string): Promise<InvoiceRow | null> {
    const rows: InvoiceRow[] = await this.transactions.manager().query(`SELECT ${COLUMNS} FROM invoices WHERE id = $1 AND tenant_id = $2`, [id, tenantId]);
    return rows[0] ?? null;
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
