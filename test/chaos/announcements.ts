// The outbox half of the chaos verdict: once every outbox row is published, every invoice must be on
// invoice.created with its outbox row's event_id (missing), and every message there must name an invoice
// that committed (phantom). Repeats are allowed (at least once) but must carry the one event_id. The suite's
// database restore removes invoices that were already announced; their events are invoiced again under a new
// invoice_id: such a message is superseded, not phantom (its source event has an invoice now).
import type { Admin } from 'kafkajs';
import pg from 'pg';
import { DATABASE_URL } from '../../infra/chaos.ts';
import { sleep } from '../../infra/common.ts';
import { readWholeTopic } from './topic-reader.ts';

export const OUTBOX_TOPIC = 'invoice.created';

/** The fields of an invoice.created message the verdict reads. */
interface Announcement {
  invoice_id: string;
  event_id: string;
  source_event_id: string;
}

interface InvoiceRow {
  id: string;
  source: string;
  outbox: string[] | null;
}

export interface AnnouncementVerdict {
  problems: string[];
  announced: number;
  missing: number;
  phantom: number;
  superseded: number;
  copies: number;
}

async function waitForOutboxDrained(db: pg.Client, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await db.query<{ n: number }>('select count(*)::int as n from invoice_outbox_pending');
    if (rows[0].n === 0) return 0;
    if (Date.now() > deadline) return rows[0].n;
    await sleep(1_000);
  }
}

async function readTopic(admin: Admin): Promise<Announcement[]> {
  const messages: Announcement[] = [];
  const exists = (await admin.listTopics()).includes(OUTBOX_TOPIC);
  if (exists)
    await readWholeTopic(admin, OUTBOX_TOPIC, { clientId: 'chaos-outbox-reader', timeoutMs: 120_000 }, (_partition, message) =>
      messages.push(JSON.parse(message.value?.toString('utf8') ?? 'null') as Announcement),
    );
  return messages;
}

export async function verifyAnnouncements(admin: Admin): Promise<AnnouncementVerdict> {
  const db = new pg.Client({ connectionString: DATABASE_URL });
  await db.connect();
  const problems: string[] = [];
  let invoices: InvoiceRow[];
  try {
    const undrained = await waitForOutboxDrained(db, 120_000);
    if (undrained) problems.push(`${undrained} outbox rows still unpublished after 120 s`);
    invoices = (
      await db.query<InvoiceRow>(
        `select v.id::text as id, v.event_id::text as source, array_agg(o.event_id::text) filter (where o.event_id is not null) as outbox
       from invoices v left join invoice_outbox o on o.invoice_id = v.id group by v.id, v.event_id`,
      )
    ).rows;
  } finally {
    await db.end();
  }
  const eventIdOf = new Map(invoices.map((v) => [v.id, v.outbox]));
  const invoicedSources = new Set(invoices.map((v) => v.source));
  const rowless = invoices.filter((v) => (v.outbox ?? []).length !== 1).length;
  if (rowless) problems.push(`${rowless} invoices without exactly one outbox row`);
  const messages = await readTopic(admin);
  const announced = new Set<string>();
  let phantom = 0;
  let superseded = 0;
  let foreignEventId = 0;
  for (const message of messages) {
    const outbox = eventIdOf.get(message.invoice_id);
    if (!outbox && invoicedSources.has(message.source_event_id)) superseded++;
    else if (!outbox) phantom++;
    else if (outbox[0] !== message.event_id) foreignEventId++;
    else announced.add(message.invoice_id);
  }
  const missing = invoices.length - announced.size;
  if (missing) problems.push(`${missing} invoices never announced on ${OUTBOX_TOPIC}`);
  if (phantom) problems.push(`${phantom} ${OUTBOX_TOPIC} messages for invoices that do not exist`);
  if (foreignEventId) problems.push(`${foreignEventId} ${OUTBOX_TOPIC} messages whose event_id is not their outbox row's`);
  return { problems, announced: announced.size, missing, phantom, superseded, copies: messages.length };
}
