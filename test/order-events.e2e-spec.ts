import { randomUUID } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import { producerHeaders } from '../src/kafka/kafka-headers';
import { InsertOutcome, InvoicesRepository, NewInvoice } from '../src/invoices/invoices.repository';
import { asMessage, orderCompleted, OrderCompletedFields, TestKafka, uniqueName, waitFor } from './support/kafka';
import { startTestApp, TestDatabase } from './support/fixture';

/** Fails the first insert of every invoice, as a database fault between claim and invoice would. */
class FailingOnceInvoicesRepository extends InvoicesRepository {
  static failures = 0;
  private readonly failed = new Set<string>();

  override async insertMany(invoices: readonly NewInvoice[]): Promise<Map<string, InsertOutcome>> {
    const fresh = invoices.filter((invoice) => !this.failed.has(invoice.eventId));
    if (fresh.length > 0) {
      fresh.forEach((invoice) => this.failed.add(invoice.eventId));
      FailingOnceInvoicesRepository.failures += 1;
      throw new Error('injected fault: invoice insert failed');
    }
    return super.insertMany(invoices);
  }
}

describe('order.completed consumer (real Kafka, real PostgreSQL)', () => {
  let db: TestDatabase;
  let kafka: TestKafka;
  let topic: string;
  let dlt: string;
  const apps: INestApplication[] = [];

  async function startConsumer(options: Partial<Parameters<typeof startTestApp>[0]> = {}) {
    const env = { ...options.env };
    const { app } = await startTestApp({ databaseUrl: db.url, topic, groupId: uniqueName('billing'), ...options, env });
    apps.push(app);
    return app;
  }

  const invoicesFor = (orderId: string) => db.count('invoices', 'order_id = $1', [orderId]);

  beforeAll(async () => {
    db = await TestDatabase.create('order_events');
    kafka = await new TestKafka().connect();
  });

  beforeEach(async () => {
    topic = uniqueName('order.completed.test');
    dlt = `${topic}.dlt`;
    await kafka.createTopic(topic, 3);
    await kafka.createTopic(dlt, 1);
  });

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await db.truncate();
  });

  afterAll(async () => {
    await kafka.disconnect();
    await db.drop();
  });

  it('creates one invoice for an event delivered five times', async () => {
    await startConsumer();
    const event = orderCompleted({ total: 149.9 });
    await kafka.publish(
      topic,
      Array.from({ length: 5 }, () => asMessage(event)),
    );
    const next = orderCompleted();
    await kafka.publish(topic, [asMessage(next)]);

    await waitFor(async () => (await invoicesFor(next.order_id)) === 1, 30_000, 'the marker invoice');
    await waitFor(async () => (await db.count('processed_events')) === 2, 10_000, 'two claims');
    const rows = await db.query<{ amount: string; currency: string }>('SELECT amount, currency FROM invoices WHERE event_id = $1', [event.event_id]);
    expect(rows).toEqual([{ amount: '149.90', currency: 'USD' }]);
  });

  it('creates one invoice when two consumers race on the same event', async () => {
    // Two groups on one topic: both receive every event and both try to claim it against one database.
    await Promise.all([startConsumer(), startConsumer()]);
    const events = Array.from({ length: 20 }, () => orderCompleted());
    await kafka.publish(topic, events.map(asMessage));

    await waitFor(async () => (await db.count('processed_events')) === 20, 30_000, '20 claims');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await db.count('invoices')).toBe(20);
    const doubled = await db.query('SELECT order_id FROM invoices GROUP BY order_id HAVING count(*) > 1');
    expect(doubled).toEqual([]);
  });

  it('rolls the claim back when the invoice insert fails, and the redelivery creates exactly one invoice', async () => {
    FailingOnceInvoicesRepository.failures = 0;
    await startConsumer({ overrides: [{ provide: InvoicesRepository, useClass: FailingOnceInvoicesRepository }] });
    const event = orderCompleted();
    await kafka.publish(topic, [asMessage(event)]);

    await waitFor(async () => (await invoicesFor(event.order_id)) === 1, 60_000, 'the invoice after the retry');
    expect(FailingOnceInvoicesRepository.failures).toBe(1);
    expect(await db.count('processed_events', 'event_id = $1', [event.event_id])).toBe(1);
  });

  it('acknowledges nothing while the database is down, and loses nothing once it is back', async () => {
    const groupId = uniqueName('billing');
    await startConsumer({ groupId });
    const warmUp = orderCompleted();
    await kafka.publish(topic, [asMessage(warmUp)]);
    await waitFor(async () => (await invoicesFor(warmUp.order_id)) === 1, 30_000, 'the warm-up invoice');
    await waitFor(async () => (await kafka.committedOffsets(groupId, topic)) === 1, 15_000, 'the warm-up commit');

    await db.cutOff();
    const events = Array.from({ length: 10 }, () => orderCompleted());
    try {
      await kafka.publish(topic, events.map(asMessage));
      await new Promise((resolve) => setTimeout(resolve, 5000));
      expect(await kafka.committedOffsets(groupId, topic)).toBe(1);
    } finally {
      await db.restore();
    }

    await waitFor(async () => (await db.count('invoices')) === 11, 90_000, 'every invoice after the outage');
    await waitFor(async () => (await kafka.committedOffsets(groupId, topic)) === 11, 30_000, 'all offsets committed');
  });

  it('sends poison to the dead-letter topic with its reason and keeps consuming the partition', async () => {
    await startConsumer();
    const invalid = orderCompleted({ total: '-5' });
    const good = orderCompleted();
    const rawBytes = Buffer.from([0x7b, 0x22, 0xff, 0x00, 0x7d]);
    await kafka.publish(topic, [
      { key: 'k-json', value: '{"event_id": "not json', partition: 0, headers: { trace: 't-1' } },
      { key: 'k-bytes', value: rawBytes, partition: 0 },
      { key: invalid.order_id, value: JSON.stringify(invalid), partition: 0 },
      { ...asMessage(good), partition: 0 },
    ]);

    await waitFor(async () => (await invoicesFor(good.order_id)) === 1, 30_000, 'the good message after the poison');
    const dead = await kafka.readAll(dlt, 3);
    expect(dead.map((d) => [d.key, d.headers['x-dlt-reason']])).toEqual([
      ['k-json', 'invalid_json'],
      ['k-bytes', 'invalid_encoding'],
      [invalid.order_id, 'invalid_payload'],
    ]);
    expect(dead[0].value?.toString()).toBe('{"event_id": "not json');
    expect(dead[0].headers).toMatchObject({ trace: 't-1', 'x-dlt-source-topic': topic, 'x-dlt-source-partition': '0', 'x-dlt-source-offset': '0' });
    expect(dead[1].value?.equals(rawBytes)).toBe(true);
    expect(dead[2].headers['x-dlt-error']).toContain('total');
    expect(await db.count('invoices')).toBe(1);
  });

  it('dead-letters a message with every original header exactly: repeated keys in order, null and binary values', async () => {
    await startConsumer();
    const original = { 'x-dup': [Buffer.from('1'), Buffer.from('2')], 'x-null': null, 'x-empty': Buffer.alloc(0), 'x-bin': Buffer.from([0xff, 0x00, 0x80]) };
    await kafka.publish(topic, [{ key: 'k-headers', value: '{not json', headers: producerHeaders(original) }]);

    const [letter] = await kafka.readAll(dlt, 1);
    const { 'x-dlt-reason': reason, ...kept } = Object.fromEntries(
      Object.entries(letter.rawHeaders).filter(([name]) => !name.startsWith('x-dlt-') || name === 'x-dlt-reason'),
    );
    expect(reason).toEqual(Buffer.from('invalid_json'));
    expect(kept).toEqual(original);
  });

  it('does not invoice an order twice when it is re-published under a new event_id', async () => {
    await startConsumer();
    const first = orderCompleted();
    const republished = { ...first, event_id: randomUUID() };
    const marker = orderCompleted();
    await kafka.publish(topic, [asMessage(first), asMessage(republished), asMessage(marker)]);

    await waitFor(async () => (await db.count('processed_events')) === 3, 30_000, 'three claims');
    expect(await invoicesFor(first.order_id)).toBe(1);
    expect(await db.query('SELECT event_id FROM invoices WHERE order_id = $1', [first.order_id])).toEqual([{ event_id: first.event_id }]);
  });

  it('treats a reused event_id with another total as a conflict: DLT, invoice unchanged', async () => {
    await startConsumer();
    const original = orderCompleted({ total: '10.00' });
    const reused = { ...original, total: '99.00' };
    await kafka.publish(topic, [asMessage(original), asMessage(reused)]);

    const [conflict] = await kafka.readAll(dlt, 1);
    expect(conflict.headers['x-dlt-reason']).toBe('conflict');
    expect(JSON.parse(conflict.value!.toString())).toEqual(reused);
    expect(await db.query('SELECT amount FROM invoices WHERE event_id = $1', [original.event_id])).toEqual([{ amount: '10.00' }]);
  });

  it('ignores unknown fields and applies the default currency', async () => {
    await startConsumer({ env: { BILLING_DEFAULT_CURRENCY: 'EUR' } });
    const { currency: _omitted, ...withoutCurrency } = orderCompleted({ total: '7' });
    const event = { ...withoutCurrency, schema_version: 2, items: [{ sku: 'x' }] };
    await kafka.publish(topic, [{ key: event.order_id, value: JSON.stringify(event) }]);

    await waitFor(async () => (await invoicesFor(event.order_id)) === 1, 30_000, 'the invoice');
    expect(await db.query('SELECT amount, currency FROM invoices WHERE order_id = $1', [event.order_id])).toEqual([{ amount: '7.00', currency: 'EUR' }]);
  });

  it('judges a JSON-number total as written: 1e1 is invoiced at 10.00, 3 fraction digits are invalid_payload', async () => {
    await startConsumer();
    const withTotal = (event: OrderCompletedFields, source: string) => ({
      key: event.order_id,
      value: JSON.stringify({ ...event, total: 0 }).replace('"total":0', `"total":${source}`),
      partition: 0,
    });
    const [ten, fine, rounded] = [orderCompleted(), orderCompleted(), orderCompleted()];
    await kafka.publish(topic, [withTotal(fine, '1.005'), withTotal(rounded, '149.899999999999999999'), withTotal(ten, '1e1')]);

    await waitFor(async () => (await invoicesFor(ten.order_id)) === 1, 30_000, 'the 1e1 invoice');
    expect(await db.query('SELECT amount FROM invoices WHERE order_id = $1', [ten.order_id])).toEqual([{ amount: '10.00' }]);
    const dead = await kafka.readAll(dlt, 2);
    expect(dead.map((d) => [d.key, d.headers['x-dlt-reason']])).toEqual([
      [fine.order_id, 'invalid_payload'],
      [rounded.order_id, 'invalid_payload'],
    ]);
    expect(await db.count('invoices')).toBe(1);
  });
});
