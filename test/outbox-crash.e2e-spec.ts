import { Fixture } from './support/fixture';
import { asMessage, orderCompleted, uniqueName, waitFor } from './support/kafka';
import { announcements, checkAnnouncements } from './support/outbox';
import { FAULTY_SERVICE } from './support/standalone/service-process';

const EVENTS = 200;

describe('outbox crash windows of the built service, SIGKILLed (real Kafka, real PostgreSQL)', () => {
  let fixture: Fixture;

  beforeAll(async () => {
    fixture = await Fixture.create('outbox_crash', { build: true });
  }, 300_000);

  afterAll(() => fixture.close());

  it('after a kill between the commit and the publish, and one between the publish and the mark, every invoice is announced with one event_id and nothing else is', async () => {
    const { db, kafka } = fixture;
    const topic = await fixture.topic('order.completed.outbox-crash', 3);
    const outboxTopic = `${topic}.invoice-created`;
    const env = {
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: uniqueName('billing'),
      OUTBOX_TOPIC: outboxTopic,
      OUTBOX_POLL_INTERVAL_MS: '200',
      // A killed member holds its partitions until its session times out.
      KAFKA_SESSION_TIMEOUT_MS: '6000',
    };
    const events = Array.from({ length: EVENTS }, () => orderCompleted());
    await kafka.publish(topic, events.map(asMessage));

    const crashing = { waitUntilReady: false, script: FAULTY_SERVICE };
    const afterCommit = await fixture.startService({ ...env, BILLING_CHAOS_CRASH_AFTER_COMMIT_EVERY: '1' }, crashing);
    expect((await afterCommit.exited).signal).toBe('SIGKILL');
    const committed = await db.count('invoices');
    expect(committed).toBeGreaterThan(0);

    const afterPublish = await fixture.startService({ ...env, BILLING_CHAOS_CRASH_AFTER_PUBLISH_EVERY: '1' }, crashing);
    expect((await afterPublish.exited).signal).toBe('SIGKILL');
    // The broker acknowledged that batch, but the cursor never moved past its rows: they are still pending.
    expect(await db.count('invoice_outbox_pending')).toBeGreaterThan(0);

    const survivor = await fixture.startService(env);
    await waitFor(async () => (await db.count('invoices')) === EVENTS && (await db.count('invoice_outbox_pending')) === 0, 120_000, 'every invoice announced');
    survivor.terminate();
    expect(await survivor.exited).toEqual({ code: 0, signal: null });

    expect(await db.count('invoice_outbox')).toBe(EVENTS);
    // The cursor passes every row, so the broker holds every announcement, repeats included: read them all, not the first EVENTS.
    const total = await kafka.endOffsets(outboxTopic);
    const messages = announcements(await kafka.readAll(outboxTopic, total));
    expect(messages).toHaveLength(total);
    expect(await checkAnnouncements(db, messages)).toEqual([]);
    const perInvoice = Map.groupBy(messages, (m) => m.body.invoice_id);
    expect(perInvoice.size).toBe(EVENTS);
    expect([...perInvoice.values()].every((copies) => new Set(copies.map((m) => m.body.event_id)).size === 1)).toBe(true);
    // The batch published before the second kill went out again, with the same event_ids.
    expect(messages.length).toBeGreaterThan(EVENTS);
  });
});
