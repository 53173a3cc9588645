import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { BillingMetrics } from '../src/observability/billing-metrics';
import { OutboxFaultHook } from '../src/outbox/outbox-fault.hook';
import { OutboxPublisher } from '../src/outbox/outbox.publisher';
import { PendingOutboxRow } from '../src/outbox/outbox.repository';
import { announcements, checkAnnouncements } from './support/outbox';
import { asMessage, orderCompleted, OrderCompletedFields, TestKafka, uniqueName, waitFor } from './support/kafka';
import { startTestApp, TestDatabase } from './support/fixture';
import { adminToken, bearer } from './support/tokens';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** The project's publisher with a switch that makes the broker unreachable, and a log of what went out and when. */
class FaultyPublisher extends OutboxPublisher {
  static down = false;
  static readonly sends: { publisher: FaultyPublisher; ids: string[]; start: number; end: number }[] = [];

  override async publish(rows: readonly PendingOutboxRow[]): Promise<void> {
    if (FaultyPublisher.down) throw new Error('broker unreachable (test double)');
    const start = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await super.publish(rows);
    FaultyPublisher.sends.push({ publisher: this, ids: rows.map((r) => r.id), start, end: performance.now() });
  }
}

/** Fails between the broker's acknowledgement and the cursor's move, as many times as asked. */
class FailingAfterPublish extends OutboxFaultHook {
  static failures = 0;

  afterPublish(): Promise<void> {
    if (FailingAfterPublish.failures === 0) return Promise.resolve();
    FailingAfterPublish.failures--;
    return Promise.reject(new Error('crash window after publish (test double)'));
  }
}

const RELAY_ENV = { OUTBOX_POLL_INTERVAL_MS: '100', OUTBOX_RETRY_INITIAL_MS: '50', OUTBOX_RETRY_MAX_MS: '200', OUTBOX_UNHEALTHY_AFTER_MS: '1000' };

describe('invoice.created outbox (real Kafka, real PostgreSQL)', () => {
  let kafka: TestKafka;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    kafka = await new TestKafka().connect();
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await kafka.disconnect();
  });

  async function setUp(label: string, env: Record<string, string> = {}, overrides: Parameters<typeof startTestApp>[0]['overrides'] = [], consume = true) {
    const db = await TestDatabase.create(label);
    cleanups.push(() => db.drop());
    const topic = uniqueName(`order.completed.${label}`);
    await kafka.createTopic(topic, 3);
    await kafka.createTopic(`${topic}.dlt`, 1);
    const { app, config } = await startTestApp({ databaseUrl: db.url, topic, env: { ...RELAY_ENV, ...env }, overrides, consume });
    cleanups.push(() => app.close());
    return { db, topic, app, outboxTopic: config.outbox.topic };
  }

  async function invoiced(db: TestDatabase, events: OrderCompletedFields[]): Promise<void> {
    const ids = events.map((e) => e.event_id);
    await waitFor(async () => (await db.count('processed_events', 'event_id = ANY($1)', [ids])) === ids.length, 60_000, 'the events claimed');
  }

  const allPublished = (db: TestDatabase) => waitFor(async () => (await db.count('invoice_outbox_pending')) === 0, 60_000, 'every outbox row published');

  it('announces every invoice once per outbox row, with one event_id; replays and duplicates add no row; the trace context passes through', async () => {
    const { db, topic, app, outboxTopic } = await setUp('outbox_announce');
    const events = Array.from({ length: 30 }, () => orderCompleted());
    const traced = events.slice(0, 5).map((e) => ({ ...asMessage(e), headers: { traceparent: TRACEPARENT } }));
    const badTrace = { ...asMessage(events[5]), headers: { traceparent: 'not-a-trace' } };
    await kafka.publish(topic, [...traced, badTrace, ...events.slice(6).map(asMessage)]);
    await invoiced(db, events);
    const replays = [...events.slice(0, 10), ...events.slice(10, 13).map((e) => ({ ...e, event_id: randomUUID() }))];
    await kafka.publish(topic, replays.map(asMessage));
    await invoiced(db, replays);
    await allPublished(db);

    expect(await db.count('invoices')).toBe(30);
    expect(await db.count('invoice_outbox')).toBe(30);
    const messages = announcements(await kafka.readAll(outboxTopic, 30));
    expect(messages).toHaveLength(30);
    expect(await checkAnnouncements(db, messages)).toEqual([]);
    const traceOf = (e: OrderCompletedFields) => messages.find((m) => m.body.source_event_id === e.event_id)?.headers.traceparent;
    expect(events.slice(0, 7).map(traceOf)).toEqual([...Array<string>(5).fill(TRACEPARENT), undefined, undefined]);

    const [invoice] = await db.query<{ id: string; event_id: string }>(
      'SELECT v.id::text, o.event_id::text FROM invoices v JOIN invoice_outbox o ON o.invoice_id = v.id LIMIT 1',
    );
    const again = await request(app.getHttpServer()).post(`/admin/outbox/reannounce/${invoice.id}`).set(bearer(adminToken())).expect(200);
    expect(again.body).toEqual({ invoice_id: invoice.id, event_id: invoice.event_id, status: 'pending' });
    const withRepeat = announcements(await kafka.readAll(outboxTopic, 31));
    expect(withRepeat.filter((m) => m.body.invoice_id === invoice.id).map((m) => m.body.event_id)).toEqual([invoice.event_id, invoice.event_id]);
    await request(app.getHttpServer()).post(`/admin/outbox/reannounce/${randomUUID()}`).set(bearer(adminToken())).expect(404);
  });

  it('keeps rows pending while the broker is down (health 503, metrics), publishes them once it is back, and a failure after the publish only repeats an announcement', async () => {
    const overrides = [
      { provide: OutboxPublisher, useClass: FaultyPublisher },
      { provide: OutboxFaultHook, useClass: FailingAfterPublish },
    ];
    const { db, topic, app, outboxTopic } = await setUp('outbox_faults', {}, overrides);
    const metric = async (name: string) => (await app.get(BillingMetrics).registry.getSingleMetricAsString(name)).split('\n').at(-1)!.split(' ')[1];
    FaultyPublisher.down = true;
    const duringOutage = Array.from({ length: 40 }, () => orderCompleted());
    await kafka.publish(topic, duringOutage.map(asMessage));
    await invoiced(db, duringOutage);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const health = await request(app.getHttpServer()).get('/health').expect(503);
    expect(health.body.error.outbox_relay).toMatchObject({ status: 'down', state: 'failing', pending: 40 });
    expect(await db.count('invoice_outbox_pending')).toBe(40);
    expect(await metric('billing_outbox_pending_rows')).toBe('40');
    expect(Number(await metric('billing_outbox_oldest_pending_age_seconds'))).toBeGreaterThan(1);
    expect(Number(await metric('billing_outbox_publish_failures_total'))).toBeGreaterThan(1);

    FaultyPublisher.down = false;
    await allPublished(db);
    await waitFor(async () => (await request(app.getHttpServer()).get('/health')).status === 200, 10_000, 'health to recover');
    expect(await metric('billing_outbox_published_total')).toBe('40');

    FailingAfterPublish.failures = 1;
    const afterFault = Array.from({ length: 10 }, () => orderCompleted());
    await kafka.publish(topic, afterFault.map(asMessage));
    await invoiced(db, afterFault);
    await allPublished(db);
    // The failed batch is published again whole, however many rows the relay had taken: the cursor passes every row, so the
    // broker holds every announcement, repeats included, and its end offset says how many to read.
    const total = await kafka.endOffsets(outboxTopic);
    expect(total).toBeGreaterThan(50);
    const messages = announcements(await kafka.readAll(outboxTopic, total));
    expect(messages).toHaveLength(total);
    expect(await checkAnnouncements(db, messages)).toEqual([]);
    const perInvoice = Map.groupBy(messages, (m) => m.body.invoice_id);
    expect(perInvoice.size).toBe(50);
    expect([...perInvoice.values()].every((copies) => new Set(copies.map((m) => m.body.event_id)).size === 1)).toBe(true);
    expect([...perInvoice.values()].some((copies) => copies.length > 1)).toBe(true);
  });

  it('two replicas relaying at once take turns: no two publishes overlap, every row goes out once, and each order keeps its order', async () => {
    const env = { OUTBOX_BATCH_SIZE: '5' };
    const overrides = [{ provide: OutboxPublisher, useClass: FaultyPublisher }];
    const first = await setUp('outbox_replicas', env, overrides, false);
    const { app: second } = await startTestApp({
      databaseUrl: first.db.url,
      topic: first.topic,
      env: { ...RELAY_ENV, ...env, OUTBOX_TOPIC: first.outboxTopic },
      overrides,
      consume: false,
    });
    cleanups.push(() => second.close());
    FaultyPublisher.sends.length = 0;
    const orders = Array.from({ length: 12 }, (_, i) => `order-${i}-${randomUUID()}`);
    const tenants = Array.from({ length: 8 }, (_, i) => `tenant-${i}`);
    // Same order_id under several tenants: one key, several rows, published in insert order.
    await first.db.query(
      `INSERT INTO invoice_outbox (event_id, invoice_id, source_event_id, tenant_id, order_id, amount, currency, invoice_created_at)
       SELECT gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), t, o, 1, 'USD', now() FROM unnest($1::text[]) t, unnest($2::text[]) o ORDER BY t, o`,
      [tenants, orders],
    );
    await allPublished(first.db);

    const sends = FaultyPublisher.sends;
    // One replica at a time holds the relay cursor, for the whole publish: which one is chance, never both at once.
    const inOrder = [...sends].sort((a, b) => a.start - b.start);
    expect(inOrder.slice(1).filter((send, i) => send.start < inOrder[i].end)).toEqual([]);
    expect(sends.flatMap((s) => s.ids).sort()).toEqual((await first.db.query<{ id: string }>('SELECT id::text FROM invoice_outbox')).map((r) => r.id).sort());
    const rows = await first.db.query<{ id: string; event_id: string }>('SELECT id::text, event_id::text FROM invoice_outbox');
    const idOf = new Map(rows.map((r) => [r.event_id, Number(r.id)]));
    const messages = announcements(await kafka.readAll(first.outboxTopic, rows.length));
    expect(messages).toHaveLength(rows.length);
    for (const order of orders) {
      const ids = messages.filter((m) => m.key === order).map((m) => idOf.get(m.body.event_id)!);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(ids).toHaveLength(tenants.length);
    }
  });

  it('relays a round larger than the outbox topic allows in one record batch in several sends, in row order, and never fails a round', async () => {
    const outboxTopic = uniqueName('invoice.created.small-batches');
    await kafka.createTopic(outboxTopic, 1, { 'max.message.bytes': '8192' });
    const { db, app } = await setUp('outbox_send_bytes', { OUTBOX_TOPIC: outboxTopic, OUTBOX_SEND_MAX_BYTES: '4096' }, [], false);
    await db.query(
      `INSERT INTO invoice_outbox (event_id, invoice_id, source_event_id, tenant_id, order_id, amount, currency, invoice_created_at)
       SELECT gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'tenant', 'order-' || g, 1, 'USD', now() FROM generate_series(1, 300) g ORDER BY g`,
    );
    await allPublished(db);

    const messages = announcements(await kafka.readAll(outboxTopic, 300));
    expect(messages.map((m) => m.key)).toEqual(Array.from({ length: 300 }, (_, i) => `order-${i + 1}`));
    const failures = (await app.get(BillingMetrics).registry.getSingleMetricAsString('billing_outbox_publish_failures_total')).split('\n').at(-1);
    expect(failures).toBe('billing_outbox_publish_failures_total 0');
  });
});
