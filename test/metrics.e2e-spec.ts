import { randomUUID } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { asMessage, orderCompleted, TestKafka, uniqueName, waitFor } from './support/kafka';
import { startTestApp, TestDatabase } from './support/fixture';

async function scrape(app: INestApplication): Promise<string> {
  const response = await request(app.getHttpServer()).get('/metrics').expect(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain/);
  return response.text;
}

function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

function lagSamples(text: string, topic: string): number[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`billing_consumer_lag{topic="${topic}"`))
    .map((l) => Number(l.split(' ')[1]));
}

describe('GET /metrics after a known run (real Kafka, real PostgreSQL)', () => {
  let db: TestDatabase;
  let kafka: TestKafka;
  let app: INestApplication;
  let topic: string;

  beforeAll(async () => {
    db = await TestDatabase.create('metrics');
    kafka = await new TestKafka().connect();
    topic = uniqueName('order.completed.metrics');
    await kafka.createTopic(topic, 3);
    await kafka.createTopic(`${topic}.dlt`, 1);
    ({ app } = await startTestApp({ databaseUrl: db.url, topic }));
  });

  afterAll(async () => {
    await app?.close();
    await kafka.disconnect();
    await db.drop();
  });

  it('counts each outcome exactly, observes duplicate ages, and reports the lag down to zero', async () => {
    const valid = Array.from({ length: 10 }, () => orderCompleted());
    await kafka.publish(topic, valid.map(asMessage));
    // Same key as the original, so each lands behind it on the same partition.
    const exactDuplicates = valid.slice(0, 3).map(asMessage);
    const republishedOrders = valid.slice(3, 5).map((e) => asMessage({ ...e, event_id: randomUUID() }));
    const conflict = asMessage({ ...valid[5], total: '999.99' });
    const poison = [{ key: 'poison-json', value: '{"event_id": ' }, asMessage(orderCompleted({ total: '-1.00' }))];
    await kafka.publish(topic, [...exactDuplicates, ...republishedOrders, conflict, ...poison]);

    const total = (text: string) =>
      ['invoiced', 'duplicate', 'duplicate_order', 'conflict', 'poison'].reduce(
        (sum, outcome) => sum + (sample(text, 'billing_events_total', `{outcome="${outcome}"}`) ?? 0),
        0,
      );
    let text = '';
    await waitFor(async () => total((text = await scrape(app))) >= 18, 60_000, '18 counted outcomes');

    expect({
      invoiced: sample(text, 'billing_events_total', '{outcome="invoiced"}'),
      duplicate: sample(text, 'billing_events_total', '{outcome="duplicate"}'),
      duplicate_order: sample(text, 'billing_events_total', '{outcome="duplicate_order"}'),
      conflict: sample(text, 'billing_events_total', '{outcome="conflict"}'),
      poison: sample(text, 'billing_events_total', '{outcome="poison"}'),
    }).toEqual({ invoiced: 10, duplicate: 3, duplicate_order: 2, conflict: 1, poison: 2 });
    expect(sample(text, 'billing_events_total', '{outcome="failed"}')).toBeUndefined();
    expect(sample(text, 'billing_duplicate_age_seconds_count')).toBe(3);
    expect(sample(text, 'billing_event_processing_seconds_count')).toBe(15);
    expect(await db.count('invoices')).toBe(10);

    await waitFor(
      async () => {
        const lags = lagSamples((text = await scrape(app)), topic);
        return lags.length === 3 && lags.every((lag) => lag === 0);
      },
      30_000,
      'zero lag on all three partitions',
    );
    const committed = text.split('\n').filter((l) => l.startsWith(`billing_consumer_committed_offset{topic="${topic}"`));
    expect(committed.reduce((sum, l) => sum + Number(l.split(' ')[1]), 0)).toBe(18);
    expect(sample(text, 'billing_consumer_up')).toBe(1);

    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(text).toContain('# TYPE billing_cleanup_deleted_rows_total counter');
    expect(text).toContain('# TYPE billing_cleanup_duration_seconds histogram');
  });

  it('reports the backlog of a group that has not consumed yet', async () => {
    const idleTopic = uniqueName('order.completed.idle');
    await kafka.createTopic(idleTopic, 2);
    await kafka.publish(idleTopic, [
      { ...asMessage(orderCompleted()), partition: 0 },
      { ...asMessage(orderCompleted()), partition: 0 },
      { ...asMessage(orderCompleted()), partition: 1 },
    ]);
    const idle = await startTestApp({ databaseUrl: db.url, topic: idleTopic, consume: false });
    try {
      const text = await scrape(idle.app);
      expect(sample(text, 'billing_consumer_lag', `{topic="${idleTopic}",partition="0"}`)).toBe(2);
      expect(sample(text, 'billing_consumer_lag', `{topic="${idleTopic}",partition="1"}`)).toBe(1);
    } finally {
      await idle.app.close();
    }
  });
});
