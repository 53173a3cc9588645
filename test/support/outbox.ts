import { TestDatabase } from './test-database';
import { DeadLetter } from './kafka';

export interface Announcement {
  key: string | null;
  headers: Record<string, string>;
  body: Record<string, string>;
}

export function announcements(messages: DeadLetter[]): Announcement[] {
  return messages.map((m) => ({ key: m.key, headers: m.headers, body: JSON.parse(m.value!.toString('utf8')) as Record<string, string> }));
}

interface InvoiceWithOutbox {
  id: string;
  event_id: string;
  tenant_id: string;
  order_id: string;
  amount: string;
  currency: string;
  created_at: string;
  outbox_event_id: string;
}

/**
 * What every announcement must say of the database: each names a committed invoice with its fields and the
 * one event_id of its outbox row (no phantom), and each invoice has exactly one outbox row and a message.
 */
export async function checkAnnouncements(db: TestDatabase, messages: Announcement[]): Promise<string[]> {
  const invoices = await db.query<InvoiceWithOutbox>(
    `SELECT v.id::text, v.event_id::text, v.tenant_id, v.order_id, v.amount::text, v.currency, v.created_at, o.event_id::text AS outbox_event_id
     FROM invoices v LEFT JOIN invoice_outbox o ON o.invoice_id = v.id`,
  );
  const byId = new Map(invoices.map((v) => [v.id, v]));
  const problems: string[] = [];
  if (byId.size !== invoices.length) problems.push('an invoice with more than one outbox row');
  const announced = new Set<string>();
  for (const { key, headers, body } of messages) {
    const invoice = byId.get(body.invoice_id);
    if (!invoice) {
      problems.push(`phantom announcement of invoice ${body.invoice_id}`);
      continue;
    }
    announced.add(invoice.id);
    const expected = {
      event_id: invoice.outbox_event_id,
      event_type: 'invoice.created',
      invoice_id: invoice.id,
      source_event_id: invoice.event_id,
      tenant_id: invoice.tenant_id,
      order_id: invoice.order_id,
      amount: invoice.amount,
      currency: invoice.currency,
      created_at: new Date(invoice.created_at).toISOString(),
    };
    if (JSON.stringify(body) !== JSON.stringify(expected)) problems.push(`announcement ${JSON.stringify(body)} differs from ${JSON.stringify(expected)}`);
    if (key !== invoice.order_id || headers['x-source-event-id'] !== invoice.event_id) problems.push(`key or headers of ${invoice.id} are wrong`);
  }
  const missing = invoices.filter((v) => !announced.has(v.id) || v.outbox_event_id === null);
  if (missing.length > 0) problems.push(`${missing.length} invoices not announced`);
  return problems;
}
