import { randomUUID } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { Clock } from '../src/common/clock';
import { fingerprintOf } from '../src/idempotency/idempotent-event';
import { BillingMetrics } from '../src/observability/billing-metrics';
import { SchedulerRegistry } from '@nestjs/schedule';
import { RetentionRepository } from '../src/retention/retention.repository';
import { RETENTION_JOB, RetentionScheduler } from '../src/retention/retention.scheduler';
import { RetentionService } from '../src/retention/retention.service';
import { asMessage, orderCompleted, OrderCompletedFields, TestKafka, uniqueName, waitFor } from './support/kafka';
import { startTestApp, TestDatabase } from './support/fixture';
import { adminToken, bearer } from './support/tokens';

const DAY_MS = 86_400_000;
const NOW = new Date('2026-06-01T03:00:00Z');

/** The service's notion of now is pinned, so claim ages are exact. */
class FixedClock extends Clock {
  override now(): Date {
    return new Date(NOW);
  }
}

describe('retention purge (real Kafka, real PostgreSQL)', () => {
  let db: TestDatabase;
  let kafka: TestKafka;
  let topic: string;
  let app: INestApplication;

  const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY_MS);
  const cleanup = () => request(app.getHttpServer()).post('/admin/cleanup').set(bearer(adminToken()));
  const staleCount = async () => (await app.get(BillingMetrics).staleEvents.get()).values[0]?.value ?? 0;

  /** What the consumer would have written for the event, processed the given number of days ago. */
  async function processedDaysAgo(event: OrderCompletedFields, days: number): Promise<void> {
    const amount = String(event.total);
    await db.query(`INSERT INTO processed_events (event_id, fingerprint, processed_at) VALUES ($1, $2, $3)`, [
      event.event_id,
      fingerprintOf([event.tenant_id, event.order_id, amount, event.currency ?? 'USD']),
      daysAgo(days),
    ]);
    await db.query(`INSERT INTO invoices (event_id, tenant_id, order_id, amount, currency, created_at) VALUES ($1, $2, $3, $4, $5, $6)`, [
      event.event_id,
      event.tenant_id,
      event.order_id,
      amount,
      event.currency ?? 'USD',
      daysAgo(days),
    ]);
  }

  /** Publishes the events, then a marker, and waits until the marker is invoiced: everything before it was handled. */
  async function deliver(events: OrderCompletedFields[]): Promise<void> {
    const marker = orderCompleted({ tenant_id: 'marker' });
    await kafka.publish(topic, [...events, marker].map(asMessage));
    await waitFor(async () => (await db.count('invoices', 'event_id = $1', [marker.event_id])) === 1, 30_000, 'the marker invoice');
  }

  beforeAll(async () => {
    db = await TestDatabase.create('retention');
    kafka = await new TestKafka().connect();
    topic = uniqueName('order.completed.retention');
    await kafka.createTopic(topic, 1);
    ({ app } = await startTestApp({
      databaseUrl: db.url,
      topic,
      // No relay: the outbox rows these tests write stay as written (published or pending).
      env: { RETENTION_DAYS: '30', CLEANUP_BATCH_SIZE: '3', CLEANUP_CRON: '17 4 * * *', OUTBOX_RELAY_ENABLED: 'false' },
      overrides: [{ provide: Clock, useClass: FixedClock }],
    }));
  });

  afterEach(() => db.truncate());

  afterAll(async () => {
    await app?.close();
    await kafka?.disconnect();
    await db?.drop();
  });

  it('removes the 40-day claims only; redelivered, neither a 29-day nor a purged event creates an invoice', async () => {
    const old = Array.from({ length: 7 }, () => orderCompleted({ total: '10.00', occurred_at: daysAgo(40).toISOString() }));
    const recent = Array.from({ length: 4 }, () => orderCompleted({ total: '20.00', occurred_at: daysAgo(29).toISOString() }));
    for (const event of old) await processedDaysAgo(event, 40);
    for (const event of recent) await processedDaysAgo(event, 29);

    const response = await cleanup().expect(200);
    expect(response.body).toEqual({ deleted: 7, outbox_deleted: 0, cutoff: daysAgo(30).toISOString(), retention_days: 30, duration_ms: expect.any(Number) });
    const kept = await db.query<{ event_id: string }>('SELECT event_id FROM processed_events ORDER BY event_id');
    expect(kept.map((r) => r.event_id)).toEqual(recent.map((e) => e.event_id).sort());

    const staleBefore = await staleCount();
    await deliver([...recent, ...old]);
    expect(await db.count('invoices', `tenant_id <> 'marker'`)).toBe(11);
    // The purged events were claimed afresh, hit their own invoice through (tenant_id, order_id), and were counted.
    expect(await staleCount()).toBe(staleBefore + old.length);
  });

  it('purges outbox rows published and written before the cutoff, in the same run; a newer row stays, and a pending row however old', async () => {
    const row = async (enqueuedDaysAgo: number) => {
      const invoiceId = randomUUID();
      await db.query(
        `INSERT INTO invoice_outbox (event_id, invoice_id, source_event_id, tenant_id, order_id, amount, currency, invoice_created_at, enqueued_at)
         VALUES ($1, $2, $3, 'acme', $4, 1, 'USD', $5, $5)`,
        [randomUUID(), invoiceId, randomUUID(), `order-${invoiceId}`, daysAgo(enqueuedDaysAgo)],
      );
      return invoiceId;
    };
    const expired = [await row(41), await row(31), await row(35), await row(40)];
    const recent = await row(29);
    await db.markAllAnnounced();
    const pending = await row(41);
    await processedDaysAgo(orderCompleted(), 40);

    const response = await cleanup().expect(200);
    expect(response.body).toMatchObject({ deleted: 1, outbox_deleted: expired.length });
    const left = await db.query<{ invoice_id: string }>('SELECT invoice_id::text FROM invoice_outbox ORDER BY invoice_id');
    expect(left.map((r) => r.invoice_id)).toEqual([recent, pending].sort());
  });

  it('counts an event whose occurred_at is beyond the retention as stale, and still invoices it once', async () => {
    const late = orderCompleted({ occurred_at: daysAgo(45).toISOString() });
    const staleBefore = await staleCount();
    await deliver([late]);
    expect(await db.count('invoices', 'event_id = $1', [late.event_id])).toBe(1);
    expect(await staleCount()).toBe(staleBefore + 1);
  });

  it('runs one purge at a time: concurrent cleanups get 409, the cron tick skips, nothing is deleted twice', async () => {
    await db.query(
      `INSERT INTO processed_events (event_id, fingerprint, processed_at)
       SELECT gen_random_uuid(), repeat('0', 64), $1 FROM generate_series(1, 3000)`,
      [daysAgo(40)],
    );
    const deletedBefore = (await app.get(BillingMetrics).cleanupDeletedRows.get()).values[0]?.value ?? 0;
    const scheduler = app.get(RetentionScheduler);
    const [responses, cronResult] = await Promise.all([Promise.all(Array.from({ length: 4 }, () => cleanup())), scheduler.runScheduledPurge()]);

    const statuses = responses.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
    const conflicts = responses.filter((r) => r.status === 409);
    for (const conflict of conflicts) expect(conflict.body).toMatchObject({ statusCode: 409, error: 'Conflict', code: 'retention.purge_in_progress' });
    const deleted = [...responses.filter((r) => r.status === 200).map((r) => r.body.deleted as number), cronResult?.deleted ?? 0];
    expect(deleted.reduce((a, b) => a + b, 0)).toBe(3000);
    expect(conflicts.length + (cronResult === null ? 1 : 0)).toBeGreaterThan(0);
    expect(await db.count('processed_events')).toBe(0);
    expect((await app.get(BillingMetrics).cleanupDeletedRows.get()).values[0].value - deletedBefore).toBe(3000);
  });

  it('answers 409 and the cron tick skips while another replica holds the purge lock', async () => {
    await db.query(`INSERT INTO processed_events (event_id, fingerprint, processed_at) VALUES ($1, repeat('0', 64), $2)`, [randomUUID(), daysAgo(40)]);
    const otherReplica = await startTestApp({ databaseUrl: db.url, topic, consume: false, env: { OUTBOX_RELAY_ENABLED: 'false' } });
    try {
      const held = await otherReplica.app.get(RetentionRepository).runExclusive(async () => {
        const response = await cleanup();
        return { status: response.status, code: response.body.code as string, cron: await app.get(RetentionScheduler).runScheduledPurge() };
      });
      expect(held).toEqual({ acquired: true, result: { status: 409, code: 'retention.purge_in_progress', cron: null } });
    } finally {
      await otherReplica.app.close();
    }
    expect(await db.count('processed_events')).toBe(1);
    expect((await cleanup().expect(200)).body.deleted).toBe(1);
  });

  it('schedules the purge with CLEANUP_CRON', () => {
    const job = app.get(SchedulerRegistry).getCronJob(RETENTION_JOB);
    expect(job.cronTime.source).toBe('17 4 * * *');
    expect(job.isActive).toBe(true);
  });

  it('exports when it last succeeded and failed, its failures and its schedule, for the purge alerts', async () => {
    const metrics = app.get(BillingMetrics);
    const value = async (gauge: { get(): Promise<{ values: { value: number }[] }> }) => (await gauge.get()).values[0]?.value ?? 0;
    const failuresBefore = await value(metrics.cleanupFailures);
    expect(await value(metrics.cleanupScheduleInterval)).toBe(86_400);

    await db.query(`INSERT INTO processed_events (event_id, fingerprint, processed_at) VALUES ($1, repeat('0', 64), $2)`, [randomUUID(), daysAgo(40)]);
    await db.query(`CREATE FUNCTION refuse_purge() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'purge refused'; END $$`);
    await db.query(`CREATE TRIGGER refuse_purge BEFORE DELETE ON processed_events FOR EACH ROW EXECUTE FUNCTION refuse_purge()`);
    try {
      await expect(app.get(RetentionService).purge('admin')).rejects.toThrow('purge refused');
    } finally {
      await db.query('DROP TRIGGER refuse_purge ON processed_events');
      await db.query('DROP FUNCTION refuse_purge()');
    }
    expect(await value(metrics.cleanupFailures)).toBe(failuresBefore + 1);
    expect(await value(metrics.cleanupLastFailure)).toBe(NOW.getTime() / 1000);

    metrics.cleanupLastSuccess.set(0);
    await app.get(RetentionService).purge('admin');
    expect(await value(metrics.cleanupLastSuccess)).toBe(NOW.getTime() / 1000);
    expect(await value(metrics.cleanupFailures)).toBe(failuresBefore + 1);
  });

  it('leaves a claim some transaction has locked for the next purge instead of waiting on it', async () => {
    const locked = randomUUID();
    await db.query(`INSERT INTO processed_events (event_id, fingerprint, processed_at) VALUES ($1, repeat('0', 64), $2)`, [locked, daysAgo(40)]);
    const holder = db.dataSource.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    try {
      await holder.query('SELECT 1 FROM processed_events WHERE event_id = $1 FOR UPDATE', [locked]);
      const response = await cleanup().expect(200);
      expect(response.body.deleted).toBe(0);
    } finally {
      await holder.rollbackTransaction();
      await holder.release();
    }
    expect((await cleanup().expect(200)).body.deleted).toBe(1);
  });
});
