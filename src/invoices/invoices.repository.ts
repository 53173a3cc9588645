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
}
