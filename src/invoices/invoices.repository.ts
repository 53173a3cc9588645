import { Injectable } from '@nestjs/common';
import { TransactionRunner } from '../database/transaction-runner';

export interface NewInvoice {
  eventId: string;
  tenantId: string;
  orderId: string;
  amount: string;
  currency: string;
}

export type InvoiceInsertResult = { kind: 'created'; id: string } | { kind: 'duplicate_order' };

@Injectable()
export class InvoicesRepository {
  constructor(private readonly transactions: TransactionRunner) {}

  /** The unique (tenant_id, order_id) backstop turns a re-published order into a typed outcome, not an error. */
  async insert(invoice: NewInvoice): Promise<InvoiceInsertResult> {
    const rows: { id: string }[] = await this.transactions.manager().query(
      `INSERT INTO invoices (event_id, tenant_id, order_id, amount, currency) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING RETURNING id`,
      [invoice.eventId, invoice.tenantId, invoice.orderId, invoice.amount, invoice.currency],
    );
    return rows.length > 0 ? { kind: 'created', id: rows[0].id } : { kind: 'duplicate_order' };
  }

  /**
   * Inserts many invoices with one statement and returns the event_ids that got one; the others hit the
   * (tenant_id, order_id) backstop. Rows go in sorted by order so concurrent batches lock in one order;
   * the sort is stable, so of two events for one order the earlier one wins, as one at a time would.
   */
  async insertMany(invoices: readonly NewInvoice[]): Promise<Set<string>> {
    const sorted = [...invoices].sort((a, b) => compareText(a.tenantId, b.tenantId) || compareText(a.orderId, b.orderId));
    const rows: { event_id: string }[] = await this.transactions.manager().query(
      `INSERT INTO invoices (event_id, tenant_id, order_id, amount, currency)
       SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::numeric[], $5::char(3)[])
       ON CONFLICT DO NOTHING RETURNING event_id`,
      [sorted.map((i) => i.eventId), sorted.map((i) => i.tenantId), sorted.map((i) => i.orderId), sorted.map((i) => i.amount), sorted.map((i) => i.currency)],
    );
    return new Set(rows.map((row) => row.event_id));
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
