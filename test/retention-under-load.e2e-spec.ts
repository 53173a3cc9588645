import { performance } from 'node:perf_hooks';
import { INestApplication } from '@nestjs/common';
import { EventOutcomeRecorder } from '../src/observability/event-outcome.recorder';
import { RetentionService } from '../src/retention/retention.service';
import { asMessage, orderCompleted, TestKafka, uniqueName, waitFor } from './support/kafka';
import { startTestApp, TestDatabase } from './support/fixture';

const EXPIRED_ROWS = 20_000;

describe('retention purge under consumer load (real Kafka, real PostgreSQL)', () => {
  let db: TestDatabase;
  let kafka: TestKafka;
  let app: INestApplication;
  let topic: string;

  beforeAll(async () => {
    db = await TestDatabase.create('retention_load');
    kafka = await new TestKafka().connect();
    topic = uniqueName('order.completed.retention-load');
    await kafka.createTopic(topic, 3);
    ({ app } = await startTestApp({ databaseUrl: db.url, topic, env: { CLEANUP_BATCH_SIZE: '1000', LOG_LEVEL: 'warn' } }));
  });

  afterAll(async () => {
    await app?.close();
    await kafka?.disconnect();
    await db?.drop();
  });

  it('deletes in bounded batches while the consumer keeps committing', async () => {
    await db.query(
      `INSERT INTO processed_events (event_id, fingerprint, processed_at)
       SELECT gen_random_uuid(), repeat('0', 64), now() - interval '40 days' - i * interval '1 second' FROM generate_series(1, $1) AS i`,
      [EXPIRED_ROWS],
    );
    const commits: number[] = [];
    const recorder = app.get(EventOutcomeRecorder);
    const record = recorder.record.bind(recorder);
    jest.spyOn(recorder, 'record').mockImplementation((outcome, details) => {
      commits.push(performance.now());
      record(outcome, details);
    });

    let producing = true;
    let published = 0;
    const producer = (async () => {
      while (producing) {
        const events = Array.from({ length: 5 }, () => orderCompleted());
        await kafka.publish(topic, events.map(asMessage));
        published += events.length;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    let started: number, finished: number, result: Awaited<ReturnType<RetentionService['purge']>>;
    try {
      await waitFor(() => commits.length >= 20, 30_000, 'the consumer to be processing');
      started = performance.now();
      result = await app.get(RetentionService).purge('admin');
      finished = performance.now();
    } finally {
      // Also when the test fails: a producer left running would publish past the app's and the client's close.
      producing = false;
      await producer;
    }

    expect(result.deleted).toBe(EXPIRED_ROWS);
    expect(await db.count('processed_events', `processed_at < now() - interval '30 days'`)).toBe(0);
    // The purge took many batches; the consumer's transactions committed in between them.
    expect(commits.filter((t) => t > started && t < finished).length).toBeGreaterThan(0);
    await waitFor(async () => (await db.count('invoices')) === published, 30_000, `all ${published} published events invoiced`);
  });
});
