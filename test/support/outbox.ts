import { Invoice } from '../../src/invoices/invoice.entity';
import { OutboxMessage } from '../../src/outbox/outbox-message.entity';
import { TestDatabase } from './fixture';
import { DeadLetter } from './kafka';

export interface Announcement {
  key: string | null;
  headers: Record<string, string>;
  body: Record<string, string>;
}

export function announcements(messages: DeadLetter[]): Announcement[] {
  return messages.map((m) => ({ key: m.key, headers: m.headers, body: JSON.parse(m.value!.toString('utf8')) as Record<string, string> }));
}

/**
 * What every announcement must say of the database: each names a committed invoice with its fields and the
 * one event_id of its outbox row (no phantom), and each invoice has exactly one outbox row and a message.
 */
export async function checkAnnouncements(db: TestDatabase, messages: Announcement[]): Promise<string[]> {
  const invoices = await db.dataSource.getRepository(Invoice).find();
  const outboxOf = Map.groupBy(await db.dataSource.getRepository(OutboxMessage).find(), (row) => row.invoiceId);
  const byId = new Map(invoices.map((v) => [v.id, v]));
  const problems: string[] = [];
  if ([...outboxOf.values()].some((rows) => rows.length > 1)) problems.push('an invoice with more than one outbox row');
  const announced = new Set<string>();
  for (const { key, headers, body } of messages) {
    const invoice = byId.get(body.invoice_id);
    if (!invoice) {
      problems.push(`phantom announcement of invoice ${body.invoice_id}`);
      continue;
    }
    announced.add(invoice.id);
    const expected = {
      event_id: outboxOf.get(invoice.id)?.[0].eventId ?? null,
      event_type: 'invoice.created',
      invoice_id: invoice.id,
      source_event_id: invoice.eventId,
      tenant_id: invoice.tenantId,
      order_id: invoice.orderId,
      amount: invoice.amount,
      currency: invoice.currency,
      created_at: invoice.createdAt.toISOString(),
    };
    if (JSON.stringify(body) !== JSON.stringify(expected)) problems.push(`announcement ${JSON.stringify(body)} differs from ${JSON.stringify(expected)}`);
    if (key !== invoice.orderId || headers['x-source-event-id'] !== invoice.eventId) problems.push(`key or headers of ${invoice.id} are wrong`);
  }
  const missing = invoices.filter((v) => !announced.has(v.id) || !outboxOf.has(v.id));
  if (missing.length > 0) problems.push(`${missing.length} invoices not announced`);
  return problems;
}
