import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import request from 'supertest';
import { BillingMetrics } from '../src/observability/billing-metrics';
import { Fixture, TestDatabase } from './support/fixture';
import { asMessage, orderCompleted, TestKafka, uniqueName, waitFor } from './support/kafka';

describe('failure isolation (real Kafka, real PostgreSQL)', () => {
  let fixture: Fixture;
  let topic: string;
  let groupId: string;
  let db: TestDatabase;
  let kafka: TestKafka;

  const startConsumer = (env: Record<string, string> = {}): Promise<INestApplication> =>
    fixture.startApp({ topic, groupId, env: { LOG_LEVEL: 'error', ...env } });

  const acknowledgedAll = async () => (await kafka.committedOffsets(groupId, topic)) === (await kafka.endOffsets(topic));
  const outcomes = async (app: INestApplication) =>
    Object.fromEntries((await app.get(BillingMetrics).events.get()).values.map((v) => [String(v.labels.outcome), v.value]));
  const retries = async (app: INestApplication) => (await app.get(BillingMetrics).eventRetries.get()).values.reduce((sum, v) => sum + v.value, 0);

  beforeAll(async () => {
    fixture = await Fixture.create('isolation');
    ({ db, kafka } = fixture);
  });

  beforeEach(() => {
    topic = uniqueName('order.completed.isolation');
    groupId = uniqueName('billing');
  });

  afterEach(async () => {
    await fixture.closeApps();
    await db.query('ALTER TABLE invoices DROP CONSTRAINT IF EXISTS test_refuses_order');
    await db.truncate();
  });

  afterAll(() => fixture.close());

  it('dead-letters only the event PostgreSQL refuses in a large group; every other event commits', async () => {
    await kafka.createTopic(topic, 6);
    await kafka.createTopic(`${topic}.dlt`, 1);
    await db.query(`ALTER TABLE invoices ADD CONSTRAINT test_refuses_order CHECK (order_id <> 'refused-order')`);
    const events = Array.from({ length: 3_000 }, () => orderCompleted());
    const refused = orderCompleted({ order_id: 'refused-order' });
    events.splice(1_234, 0, refused);
    await kafka.publish(
      topic,
      events.map((e, i) => ({ ...asMessage(e), partition: i % 6 })),
    );
    const app = await startConsumer();

    await waitFor(acknowledgedAll, 90_000, 'every message acknowledged');
    expect(await db.count('invoices')).toBe(3_000);
    // Each half counts its events as it commits; the halves that rolled back count nothing.
    expect(await outcomes(app)).toEqual({ invoiced: 3_000, poison: 1, duplicate: 0, duplicate_order: 0, conflict: 0 });
    expect(await db.count('invoices', 'event_id = $1', [refused.event_id])).toBe(0);
    expect(await db.count('processed_events', 'event_id = $1', [refused.event_id])).toBe(0);
    const [letter] = await kafka.readAll(`${topic}.dlt`, 1);
    expect(letter.headers).toMatchObject({ 'x-dlt-reason': 'rejected_by_database', 'x-dlt-sqlstate': '23514', 'x-dlt-source-partition': String(1_234 % 6) });
    expect(JSON.parse(String(letter.value))).toEqual(refused);
  });

  it('retries a lock held past the lock timeout, reports the stuck partition, and keeps the others flowing', async () => {
    await kafka.createTopic(topic, 2);
    await kafka.createTopic(`${topic}.dlt`, 1);
    const blocked = orderCompleted();
    const holder = new Client({ connectionString: db.url });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(`INSERT INTO processed_events (event_id, fingerprint) VALUES ($1, repeat('0', 64))`, [blocked.event_id]);
    const app = await startConsumer({ DATABASE_LOCK_TIMEOUT_MS: '300', CONSUMER_RETRY_MAX_MS: '500', CONSUMER_STUCK_AFTER_MS: '1000' });
    await kafka.publish(topic, [{ ...asMessage(blocked), partition: 0 }]);
    try {
      const flowing = Array.from({ length: 20 }, () => orderCompleted());
      await kafka.publish(
        topic,
        flowing.map((e) => ({ ...asMessage(e), partition: 1 })),
      );
      await waitFor(async () => (await db.count('invoices')) === 20, 30_000, 'partition 1 invoiced while partition 0 waits');
      await waitFor(async () => (await request(app.getHttpServer()).get('/health')).status === 503, 15_000, '/health to report the stuck partition');
      const health = await request(app.getHttpServer()).get('/health');
      expect(health.body.error.kafka_consumer).toMatchObject({ status: 'down', state: 'stuck', stuck: [{ topic, partition: 0, offset: '0' }] });
      expect(await retries(app)).toBeGreaterThan(0);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    await waitFor(async () => (await db.count('invoices', 'event_id = $1', [blocked.event_id])) === 1, 30_000, 'the blocked event once the lock is gone');
    await waitFor(async () => (await request(app.getHttpServer()).get('/health')).status === 200, 15_000, '/health to recover');
    await waitFor(acknowledgedAll, 30_000, 'every message acknowledged');
  });

  it('counts a stale event and its outcome once when its transaction rolls back after the invoice insert and is retried', async () => {
    await kafka.createTopic(topic, 1);
    await kafka.createTopic(`${topic}.dlt`, 1);
    const old = orderCompleted({ occurred_at: new Date(Date.now() - 400 * 86_400_000).toISOString() });
    const holder = new Client({ connectionString: db.url });
    await holder.connect();
    await holder.query('BEGIN');
    // The partition's stored offset is written after the invoice, in its transaction: while held, each try rolls back.
    await holder.query('INSERT INTO consumer_offsets (group_id, topic, partition, next_offset) VALUES ($1, $2, 0, 0)', [groupId, topic]);
    const app = await startConsumer({ DATABASE_LOCK_TIMEOUT_MS: '300', CONSUMER_RETRY_MAX_MS: '500' });
    try {
      await kafka.publish(topic, [asMessage(old)]);
      await waitFor(async () => (await retries(app)) >= 2, 30_000, 'two tries rolled back');
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    await waitFor(acknowledgedAll, 30_000, 'every message acknowledged');
    expect(await db.count('invoices', 'event_id = $1', [old.event_id])).toBe(1);
    expect((await app.get(BillingMetrics).staleEvents.get()).values[0].value).toBe(1);
    expect(await outcomes(app)).toMatchObject({ invoiced: 1, duplicate: 0 });
    // A try that rolled back is a retry (billing_event_retries_total), not an outcome.
    expect(Object.keys(await outcomes(app)).sort()).toEqual(['conflict', 'duplicate', 'duplicate_order', 'invoiced', 'poison']);
  });

  it('dead-letters a reused event_id whose claim was purged as a conflict, and skips a same-payload redelivery', async () => {
    await kafka.createTopic(topic, 1);
    await kafka.createTopic(`${topic}.dlt`, 1);
    const original = orderCompleted({ total: '10.00' });
    await startConsumer();
    await kafka.publish(topic, [asMessage(original)]);
    await waitFor(async () => (await db.count('invoices', 'event_id = $1', [original.event_id])) === 1, 30_000, 'the original invoice');
    await db.query('DELETE FROM processed_events WHERE event_id = $1', [original.event_id]);

    const reused = { ...original, order_id: `${original.order_id}-other`, total: '99.00' };
    await kafka.publish(topic, [asMessage(reused), asMessage(original)]);
    await waitFor(acknowledgedAll, 30_000, 'every message acknowledged');
    const [letter] = await kafka.readAll(`${topic}.dlt`, 1);
    expect(letter.headers['x-dlt-reason']).toBe('conflict');
    expect(JSON.parse(String(letter.value))).toEqual(reused);
    expect(await db.query('SELECT order_id, amount FROM invoices')).toEqual([{ order_id: original.order_id, amount: '10.00' }]);
    const [claim] = await db.query<{ fingerprint: string }>('SELECT fingerprint FROM processed_events WHERE event_id = $1', [original.event_id]);
    expect(claim).toBeDefined();
    const stale = await fixture.apps[0].get(BillingMetrics).staleEvents.get();
    expect(stale.values[0].value).toBe(1);
  });

  it('dead-letters a message too large for the dead-letter topic, cut, and goes on with the partition', async () => {
    await kafka.createTopic(topic, 1);
    await kafka.createTopic(`${topic}.dlt`, 1, { 'max.message.bytes': '65536' });
    const huge = Buffer.alloc(400_000, 0x7b);
    const next = orderCompleted();
    await kafka.publish(topic, [{ key: 'huge', value: huge }, asMessage(next)]);
    // kafkajs logs the broker's refusal of the first, whole letter as an error: expected here.
    const app = await startConsumer({ LOG_LEVEL: 'fatal' });
    await waitFor(acknowledgedAll, 30_000, 'every message acknowledged');
    expect(await db.count('invoices', 'event_id = $1', [next.event_id])).toBe(1);
    const [letter] = await kafka.readAll(`${topic}.dlt`, 1);
    expect(letter.headers).toMatchObject({ 'x-dlt-reason': 'invalid_json', 'x-dlt-truncated-value': 'true', 'x-dlt-original-value-bytes': '400000' });
    expect(letter.value?.length).toBeLessThan(65_536);
    expect(huge.subarray(0, letter.value?.length).equals(letter.value as Buffer)).toBe(true);
    expect(await retries(app)).toBe(0);
  });
});
