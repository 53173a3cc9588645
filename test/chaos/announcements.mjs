// The outbox half of the chaos verdict: once every outbox row is published, every invoice must be on
// invoice.created with its outbox row's event_id (missing), and every message there must name an invoice
// that committed (phantom). Repeats are allowed (at least once) but must carry the one event_id.
import pg from 'pg';
import { DATABASE_URL, kafkaClient, sleep } from './private-infra.mjs';

export const OUTBOX_TOPIC = 'invoice.created';

async function waitForOutboxDrained(db, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await db.query('select count(*)::int as n from invoice_outbox where published_at is null');
    if (rows[0].n === 0) return 0;
    if (Date.now() > deadline) return rows[0].n;
    await sleep(1_000);
  }
}

async function readTopic(admin) {
  const ends = await admin.fetchTopicOffsets(OUTBOX_TOPIC).catch(() => []);
  const pending = new Map(ends.filter((p) => Number(p.high) > Number(p.low)).map((p) => [p.partition, Number(p.high)]));
  const messages = [];
  if (pending.size === 0) return messages;
  const consumer = kafkaClient('chaos-outbox-reader').consumer({ groupId: `chaos-outbox-reader-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: OUTBOX_TOPIC, fromBeginning: true });
  const done = new Promise((resolve) => {
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        messages.push(JSON.parse(message.value.toString('utf8')));
        if (Number(message.offset) + 1 >= pending.get(partition)) pending.delete(partition);
        if (pending.size === 0) resolve();
      },
    });
  });
  await Promise.race([done, sleep(120_000)]);
  await consumer.disconnect();
  if (pending.size > 0) throw new Error(`could not read the whole ${OUTBOX_TOPIC} within 120 s`);
  return messages;
}

export async function verifyAnnouncements(admin) {
  const db = new pg.Client({ connectionString: DATABASE_URL });
  await db.connect();
  const problems = [];
  let invoices;
  try {
    const undrained = await waitForOutboxDrained(db, 120_000);
    if (undrained) problems.push(`${undrained} outbox rows still unpublished after 120 s`);
    invoices = (await db.query(
      `select v.id::text as id, array_agg(o.event_id::text) filter (where o.event_id is not null) as outbox
       from invoices v left join invoice_outbox o on o.invoice_id = v.id group by v.id`,
    )).rows;
  } finally {
    await db.end();
  }
  const eventIdOf = new Map(invoices.map((v) => [v.id, v.outbox]));
  const rowless = invoices.filter((v) => (v.outbox ?? []).length !== 1).length;
  if (rowless) problems.push(`${rowless} invoices without exactly one outbox row`);
  const messages = await readTopic(admin);
  const announced = new Set();
  let phantom = 0;
  let foreignEventId = 0;
  for (const message of messages) {
    const outbox = eventIdOf.get(message.invoice_id);
    if (!outbox) phantom++;
    else if (outbox[0] !== message.event_id) foreignEventId++;
    else announced.add(message.invoice_id);
  }
  const missing = invoices.length - announced.size;
  if (missing) problems.push(`${missing} invoices never announced on ${OUTBOX_TOPIC}`);
  if (phantom) problems.push(`${phantom} ${OUTBOX_TOPIC} messages for invoices that do not exist`);
  if (foreignEventId) problems.push(`${foreignEventId} ${OUTBOX_TOPIC} messages whose event_id is not their outbox row's`);
  return { problems, announced: announced.size, missing, phantom, copies: messages.length };
}
