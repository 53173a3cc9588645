import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { BillingMetrics } from '../src/observability/billing-metrics';
import { offsetsCommand } from '../src/cli/offsets';
import { capturedLines } from './support/captured-logs';
import { Fixture, TestDatabase } from './support/fixture';
import { asMessage, BROKERS, OrderCompletedFields, orderCompleted, TestKafka, uniqueName, waitFor } from './support/kafka';

describe('offsets stored with the invoices (real Kafka, real PostgreSQL)', () => {
  let fixture: Fixture;
  let db: TestDatabase;
  let kafka: TestKafka;
  let topic: string;
  let groupId: string;
  const backups = mkdtempSync(join(tmpdir(), 'billing-backup-'));

  const startConsumer = (env: Record<string, string> = {}): Promise<INestApplication> =>
    fixture.startApp({ topic, groupId, env: { KAFKA_SESSION_TIMEOUT_MS: '6000', ...env } });
  const stop = (app: INestApplication) => fixture.stopApp(app);
  /**
   * The first /health answer that names a gap of stored offsets. A 503 alone proves nothing: a consumer that has
   * not joined its group yet answers 503 too, before resumeAtStoredOffsets has looked at the partition.
   */
  const healthNamingAGap = async (app: INestApplication): Promise<request.Response> => {
    const named: request.Response[] = [];
    await waitFor(
      async () => {
        const health = await request(app.getHttpServer()).get('/health');
        const gaps: unknown = health.body?.error?.stored_offsets?.gaps;
        if (Array.isArray(gaps) && gaps.length > 0) named.push(health);
        return named.length > 0;
      },
      30_000,
      '/health to name the gap',
    );
    return named[0];
  };

  const publish = (count: number, partitions: number) =>
    kafka.publish(
      topic,
      Array.from({ length: count }, (_, i) => ({ ...asMessage(orderCompleted()), partition: i % partitions })),
    );
  const invoices = () => db.count('invoices');
  const inTransaction = (events: OrderCompletedFields[], commit: boolean) =>
    kafka.publishTransactions(topic, [{ messages: events.map((e) => ({ ...asMessage(e), partition: 0 })), commit }]);
  const events = (count: number) => Array.from({ length: count }, () => orderCompleted());
  const gapsCounted = async (app: INestApplication) => (await app.get(BillingMetrics).storedOffsetGaps.get()).values.reduce((sum, { value }) => sum + value, 0);
  const gapLines = () => capturedLines().filter((line) => String(line.msg).includes('stored offset is below the log start'));
  const storedOffsets = async () =>
    (await db.query<{ n: string }>('SELECT coalesce(sum(next_offset), 0)::text AS n FROM consumer_offsets WHERE group_id = $1', [groupId]))[0].n;

  beforeAll(async () => {
    fixture = await Fixture.create('offsets');
    ({ db, kafka } = fixture);
  });

  beforeEach(() => {
    topic = uniqueName('order.completed.offsets');
    groupId = uniqueName('billing');
  });

  afterEach(async () => {
    await fixture.closeApps();
    await db.query('TRUNCATE invoices, processed_events, consumer_offsets');
  });

  afterAll(async () => {
    await fixture.close();
    rmSync(backups, { recursive: true, force: true });
  });

  it('re-consumes what a database restored from a backup lost, and bills every event once', async () => {
    await kafka.createTopic(topic, 3);
    await publish(600, 3);
    let app = await startConsumer();
    await waitFor(async () => (await invoices()) === 600, 60_000, '600 invoices');
    await waitFor(async () => (await storedOffsets()) === '600', 30_000, 'stored offsets at 600');
    const backup = join(backups, 'mid-stream.dump');
    execFileSync('pg_dump', ['--format=custom', `--file=${backup}`, db.url]);

    await publish(600, 3);
    await waitFor(async () => (await invoices()) === 1200, 60_000, '1,200 invoices');
    await waitFor(async () => (await kafka.committedOffsets(groupId, topic)) === 1200, 30_000, 'Kafka offsets at 1,200');
    await stop(app);
    execFileSync('pg_restore', ['--clean', '--if-exists', '--single-transaction', `--dbname=${db.url}`, backup]);
    expect(await invoices()).toBe(600);

    app = await startConsumer();
    await waitFor(async () => (await invoices()) === 1200, 60_000, 'the 600 invoices the restore lost, again');
    await waitFor(async () => (await storedOffsets()) === '1200', 30_000, 'stored offsets at the end of the topic');
    const [distinct] = await db.query<{ n: string }>('SELECT count(DISTINCT event_id)::text AS n FROM invoices');
    expect(distinct.n).toBe('1200');
  });

  it('moves partitions between two consumers while events flow: none skipped, none doubled, stored offsets at the end', async () => {
    await kafka.createTopic(topic, 4);
    const first = await startConsumer();
    await publish(1_000, 4);
    await waitFor(async () => (await invoices()) >= 200, 60_000, 'the first consumer invoicing');
    const second = await startConsumer();
    await publish(1_000, 4);
    await stop(first);
    await publish(1_000, 4);
    await waitFor(async () => (await invoices()) === 3_000, 90_000, '3,000 invoices');
    await waitFor(async () => (await storedOffsets()) === '3000', 30_000, 'stored offsets at the end of the topic');
    expect(await db.count('processed_events')).toBe(3_000);
    expect(second).toBeDefined();
  });

  it('stores positions past transaction markers and aborted messages: after deleteRecords to the end and a restart, no gap', async () => {
    await kafka.createTopic(topic, 1);
    const committed = events(6);
    let app = await startConsumer();
    await inTransaction(committed.slice(0, 3), true); // offsets 0-2, commit marker 3
    await waitFor(async () => (await invoices()) === 3, 30_000, 'the first committed transaction invoiced');
    await inTransaction(events(2), false); // 4-5, abort marker 6
    await inTransaction(committed.slice(3, 5), true); // 7-8, commit marker 9
    await waitFor(async () => (await invoices()) === 5, 30_000, 'the second committed transaction invoiced');
    await waitFor(async () => (await storedOffsets()) === '10', 30_000, 'the stored offset past the commit marker');
    // Fetched alone: a batch that holds only aborted messages and their marker.
    await inTransaction(events(2), false); // 10-11, abort marker 12
    await waitFor(async () => (await storedOffsets()) === '13', 30_000, 'the stored offset past the abort marker');
    await stop(app);
    // As retention does once the last segment ages out: the log start is the log end.
    await kafka.deleteRecordsBefore(topic, 0, '13');

    app = await startConsumer();
    await inTransaction(committed.slice(5), true); // 13, commit marker 14
    await waitFor(async () => (await invoices()) === 6, 30_000, 'the transaction published after the restart invoiced');
    // A gap would hold /health at 503 until the next assignment: waiting cannot hide it.
    await waitFor(async () => (await request(app.getHttpServer()).get('/health')).status === 200, 30_000, '/health 200');
    expect(await gapsCounted(app)).toBe(0);
    expect(gapLines()).toEqual([]);
    await waitFor(async () => (await storedOffsets()) === '15', 30_000, 'the stored offset at the end of the partition');
    const invoiced = await db.query<{ event_id: string }>('SELECT event_id FROM invoices ORDER BY event_id');
    expect(invoiced.map((row) => row.event_id)).toEqual(committed.map((e) => e.event_id).sort());
    expect(await db.count('processed_events')).toBe(6);
  });

  it('still reports a gap when deleted records held committed events the database never saw', async () => {
    await kafka.createTopic(topic, 1);
    let app = await startConsumer();
    await inTransaction(events(3), true); // 0-2, commit marker 3
    await waitFor(async () => (await storedOffsets()) === '4', 30_000, 'the stored offset past the commit marker');
    await stop(app);
    await inTransaction(events(2), true); // 4-5, commit marker 6: never seen by the service
    await inTransaction(events(2), false); // 7-8, abort marker 9
    await kafka.deleteRecordsBefore(topic, 0, '10');

    app = await startConsumer();
    const health = await healthNamingAGap(app);
    expect(health.status).toBe(503);
    expect(health.body.error.stored_offsets).toMatchObject({ gaps: [{ topic, partition: 0, stored_offset: '4', log_start_offset: '10' }] });
    // At least once: a rebalance on a loaded machine assigns (and checks) the partition again.
    expect(await gapsCounted(app)).toBeGreaterThanOrEqual(1);
    expect(gapLines().length).toBeGreaterThanOrEqual(1);
    expect(await invoices()).toBe(3);
  });

  it('reports a stored offset below the log start: error, metric, /health 503, and resumes at the log start', async () => {
    await kafka.createTopic(topic, 1);
    await publish(10, 1);
    let app = await startConsumer();
    await waitFor(async () => (await storedOffsets()) === '10', 30_000, 'stored offsets at 10');
    await stop(app);
    // As after restoring a backup older than the topic's retention: the database is behind what Kafka still holds.
    await db.query('UPDATE consumer_offsets SET next_offset = 2 WHERE group_id = $1', [groupId]);
    await kafka.deleteRecordsBefore(topic, 0, '5');

    app = await startConsumer({ LOG_LEVEL: 'fatal' });
    const health = await healthNamingAGap(app);
    expect(health.status).toBe(503);
    expect(health.body.error.stored_offsets).toMatchObject({ status: 'down', gaps: [{ topic, partition: 0, stored_offset: '2', log_start_offset: '5' }] });
    const gaps = await app.get(BillingMetrics).storedOffsetGaps.get();
    expect(gaps.values).toEqual([expect.objectContaining({ labels: { topic, partition: 0 } })]);
    // At least once: a rebalance before events 5-9 are stored checks the partition again.
    expect(gaps.values[0].value).toBeGreaterThanOrEqual(1);
    await publish(1, 1);
    await waitFor(async () => (await storedOffsets()) === '11', 30_000, 'consumption to go on from the log start');
    expect(await invoices()).toBe(11);
  });
});

describe('npm run offsets (real Kafka, real PostgreSQL)', () => {
  it('shows stored and Kafka offsets side by side, and moves a stored offset only when not a dry run', async () => {
    const db = await TestDatabase.create('offsets_cli');
    const kafka = await new TestKafka().connect();
    const topic = uniqueName('order.completed.offsets-cli');
    const env = { DATABASE_URL: db.url, KAFKA_BROKERS: BROKERS.join(','), KAFKA_TOPIC: topic, KAFKA_GROUP_ID: uniqueName('billing') };
    try {
      await kafka.createTopic(topic, 2);
      await kafka.publish(
        topic,
        [0, 0, 0, 1].map((partition) => ({ ...asMessage(orderCompleted()), partition })),
      );
      await db.query(`INSERT INTO consumer_offsets (group_id, topic, partition, next_offset) VALUES ($1, $2, 0, 3)`, [env.KAFKA_GROUP_ID, topic]);
      const lines: string[] = [];
      await offsetsCommand(['show'], (line) => lines.push(line), env);
      expect(lines.slice(2).map((l) => l.split(/\s{2,}/).slice(0, 4))).toEqual([
        ['0', '3', '-', '0'],
        ['1', '-', '-', '0'],
      ]);

      lines.length = 0;
      await offsetsCommand(['move', '--partition', '0', '--to', '1', '--dry-run'], (line) => lines.push(line), env);
      expect(lines).toEqual([`${topic}[0] stored 3 -> 1 (dry run)`]);
      expect(await db.query('SELECT next_offset FROM consumer_offsets')).toEqual([{ next_offset: '3' }]);
      await offsetsCommand(['move', '--partition', 'all', '--to', 'latest'], () => undefined, env);
      expect(await db.query('SELECT partition, next_offset FROM consumer_offsets ORDER BY partition')).toEqual([
        { partition: 0, next_offset: '3' },
        { partition: 1, next_offset: '1' },
      ]);
      await expect(offsetsCommand(['move', '--partition', '7', '--to', '0'], () => undefined, env)).rejects.toThrow(/--partition must be a partition/);
    } finally {
      await kafka.disconnect();
      await db.drop();
    }
  });
});
