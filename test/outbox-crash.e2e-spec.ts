import { execFileSync } from 'node:child_process';
import { announcements, checkAnnouncements } from './support/outbox';
import { asMessage, BROKERS, orderCompleted, TestKafka, uniqueName, waitFor } from './support/kafka';
import { freePort, ROOT, ServiceProcess } from './support/service-process';
import { TEST_JWT_SECRET } from './support/test-app';
import { TestDatabase } from './support/test-database';

const EVENTS = 200;

describe('outbox crash windows of the built service, SIGKILLed (real Kafka, real PostgreSQL)', () => {
  let db: TestDatabase;
  let kafka: TestKafka;
  const processes: ServiceProcess[] = [];

  beforeAll(async () => {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
    db = await TestDatabase.create('outbox_crash');
    kafka = await new TestKafka().connect();
  }, 300_000);

  afterAll(async () => {
    processes.forEach((p) => p.kill());
    await kafka.disconnect();
    await db.drop();
  });

  /** A service that is meant to kill itself is not waited for: it may die before it listens. */
  async function startService(env: Record<string, string>, waitUntilReady = true): Promise<ServiceProcess> {
    const service = new ServiceProcess({
      DATABASE_URL: db.url,
      KAFKA_BROKERS: BROKERS.join(','),
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      PORT: String(await freePort()),
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      OUTBOX_POLL_INTERVAL_MS: '200',
      // A killed member holds its partitions until its session times out.
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      ...env,
    });
    processes.push(service);
    if (waitUntilReady) await service.ready();
    return service;
  }

  it('after a kill between the commit and the publish, and one between the publish and the mark, every invoice is announced with one event_id and nothing else is', async () => {
    const topic = uniqueName('order.completed.outbox-crash');
    const outboxTopic = `${topic}.invoice-created`;
    await kafka.createTopic(topic, 3);
    await kafka.createTopic(`${topic}.dlt`, 1);
    const env = { KAFKA_TOPIC: topic, KAFKA_GROUP_ID: uniqueName('billing'), OUTBOX_TOPIC: outboxTopic };
    const events = Array.from({ length: EVENTS }, () => orderCompleted());
    await kafka.publish(topic, events.map(asMessage));

    const afterCommit = await startService({ ...env, BILLING_CHAOS_CRASH_AFTER_COMMIT_EVERY: '1' }, false);
    expect((await afterCommit.exited).signal).toBe('SIGKILL');
    const committed = await db.count('invoices');
    expect(committed).toBeGreaterThan(0);

    const afterPublish = await startService({ ...env, BILLING_CHAOS_CRASH_AFTER_PUBLISH_EVERY: '1' }, false);
    expect((await afterPublish.exited).signal).toBe('SIGKILL');
    // The broker acknowledged that batch, but its rows were never marked: they are still pending.
    expect(await db.count('invoice_outbox', 'published_at IS NULL')).toBeGreaterThan(0);

    const survivor = await startService(env);
    await waitFor(async () => (await db.count('invoices')) === EVENTS && (await db.count('invoice_outbox', 'published_at IS NULL')) === 0, 120_000, 'every invoice announced');
    survivor.terminate();
    expect(await survivor.exited).toEqual({ code: 0, signal: null });

    expect(await db.count('invoice_outbox')).toBe(EVENTS);
    const messages = announcements(await kafka.readAll(outboxTopic, EVENTS));
    expect(await checkAnnouncements(db, messages)).toEqual([]);
    const perInvoice = Map.groupBy(messages, (m) => m.body.invoice_id);
    expect(perInvoice.size).toBe(EVENTS);
    expect([...perInvoice.values()].every((copies) => new Set(copies.map((m) => m.body.event_id)).size === 1)).toBe(true);
    // The batch published before the second kill went out again, with the same event_ids.
    expect(messages.length).toBeGreaterThan(EVENTS);
  });
});
