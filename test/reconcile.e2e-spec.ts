import { Writable } from 'node:stream';
import { INestApplication } from '@nestjs/common';
import { CliUsageError } from '../src/cli/cli-args';
import { EXIT_NOT_BALANCED, parseReconcileArgs, reconcileCommand } from '../src/cli/reconcile';
import { loadReconcileEnv } from '../src/config/cli-env';
import { MessageReport, OrphanReport, ReconcileSummary } from '../src/reconcile/reconcile-report';
import { asMessage, BROKERS, orderCompleted, OrderCompletedFields, TestKafka, uniqueName, waitFor } from './support/kafka';
import { startTestApp, TestDatabase } from './support/fixture';

interface JsonReport {
  messages: MessageReport[];
  orphans: OrphanReport[];
  summary: ReconcileSummary;
}

class Capture extends Writable {
  text = '';

  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

describe('npm run reconcile (real Kafka, real PostgreSQL, the real service)', () => {
  let db: TestDatabase;
  let kafka: TestKafka;
  let app: INestApplication | undefined;
  let topic: string;
  let groupId: string;
  let from: Date;
  let to: Date;
  const valid = Array.from({ length: 20 }, (_, i) => orderCompleted({ tenant_id: i % 2 ? 'acme' : 'globex' }));

  async function reconcile(argv: string[]): Promise<{ code: number; stdout: string }> {
    const stdout = new Capture();
    const env = { DATABASE_URL: db.url, KAFKA_BROKERS: BROKERS.join(','), KAFKA_TOPIC: topic, KAFKA_GROUP_ID: groupId };
    const code = await reconcileCommand(argv, { stdout, stderr: new Capture() }, env);
    return { code, stdout: stdout.text };
  }

  async function reconcileJson(range = ['--from', from.toISOString(), '--to', to.toISOString()]): Promise<{ code: number; report: JsonReport }> {
    const { code, stdout } = await reconcile([...range, '--format', 'json']);
    return { code, report: JSON.parse(stdout) as JsonReport };
  }

  async function processedAll(): Promise<void> {
    const end = await kafka.endOffsets(topic);
    await waitFor(async () => (await kafka.committedOffsets(groupId, topic)) === end, 60_000, `the service to commit ${end} messages`);
  }

  beforeAll(async () => {
    db = await TestDatabase.create('reconcile');
    kafka = await new TestKafka().connect();
    topic = uniqueName('order.completed.reconcile');
    groupId = uniqueName('billing');
    await kafka.createTopic(topic, 3);
    await kafka.createTopic(`${topic}.dlt`, 1);
    // The mix's poison and conflicts are expected: their warn and error lines would only be noise here.
    ({ app } = await startTestApp({ databaseUrl: db.url, topic, groupId, env: { LOG_LEVEL: 'silent' } }));
    from = new Date(Date.now() - 1000);
    await kafka.publish(topic, valid.map(asMessage));
    const mix: OrderCompletedFields[] = [
      ...valid.slice(0, 6), // exact duplicates
      ...valid.slice(6, 10).map((v) => orderCompleted({ tenant_id: v.tenant_id, order_id: v.order_id })), // re-published orders
      ...valid.slice(10, 13).map((v) => ({ ...v, total: '1.00' })), // conflicts
    ];
    await kafka.publish(topic, [
      ...mix.map(asMessage),
      { key: 'poison-1', value: '{"event_id": ' },
      { key: 'poison-2', value: '' },
      asMessage(orderCompleted({ total: '-5.00' })),
      { key: 'poison-4', value: '[1, 2]' },
    ]);
    await processedAll();
    await kafka.readAll(`${topic}.dlt`, 7);
    to = new Date(Date.now() + 1);
    // Retention purged every claim: the invoices alone must prove their events.
    await db.query('DELETE FROM processed_events');
  });

  afterAll(async () => {
    await app?.close();
    await kafka.disconnect();
    await db.drop();
  });

  it('accounts for a known mix, message by message, after the claims were purged', async () => {
    const { code, report } = await reconcileJson();
    expect(report.summary.counts).toEqual({ invoiced: 20, duplicate: 6, duplicate_order: 4, dead_lettered: 7, pending: 0, unexplained: 0 });
    expect(report.summary.deadLetteredByReason).toEqual({ conflict: 3, invalid_json: 2, invalid_payload: 2 });
    expect(report.summary).toMatchObject({ messages: 37, orphan: 0, balanced: true });
    expect(code).toBe(0);
    expect(report.messages).toHaveLength(37);
    const classOf = (eventId: string) => report.messages.filter((m) => m.eventId === eventId).map((m) => m.class);
    expect(classOf(valid[0].event_id).sort()).toEqual(['duplicate', 'invoiced']);
    expect(classOf(valid[10].event_id).sort()).toEqual(['dead_lettered', 'invoiced']);
  });

  it('judges a range that starts mid-topic like the whole topic, reading what precedes it only for context', async () => {
    const whole = (await reconcileJson()).report.messages;
    const { code, report } = await reconcileJson(['--from', '0:2,1:2,2:2', '--to', to.toISOString()]);
    expect(report.messages).toEqual(whole.filter((m) => Number(m.offset) >= 2));
    expect(report.summary.invoiceWindow?.to).toBe(to.toISOString());
    expect(code).toBe(0);
  });

  it('names the event whose invoice row was deleted, by time or by offsets', async () => {
    const [deleted] = await db.query('SELECT * FROM invoices WHERE event_id = $1', [valid[15].event_id]);
    await db.query('DELETE FROM invoices WHERE event_id = $1', [valid[15].event_id]);
    try {
      const { code, stdout } = await reconcile(['--from', '0:0,1:0,2:0', '--to', to.toISOString()]);
      expect(stdout).toMatch(/^ {2}unexplained +1$/m);
      expect(stdout).toContain(`no invoice for event ${valid[15].event_id}`);
      expect(stdout).toContain('NOT BALANCED: 1 unexplained, 0 orphan');
      expect(code).toBe(EXIT_NOT_BALANCED);
    } finally {
      const columns = Object.keys(deleted);
      await db.query(`INSERT INTO invoices (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`, Object.values(deleted));
    }
  });

  it('catches an invoice whose amount was changed', async () => {
    await db.query(`UPDATE invoices SET amount = amount + 1 WHERE event_id = $1`, [valid[16].event_id]);
    try {
      const { code, report } = await reconcileJson();
      expect(report.summary.counts.unexplained).toBe(1);
      expect(report.messages.find((m) => m.class === 'unexplained')).toMatchObject({
        eventId: valid[16].event_id,
        detail: expect.stringMatching(/differs: amount 150\.90 \(event 149\.90\)$/),
      });
      expect(code).toBe(EXIT_NOT_BALANCED);
    } finally {
      await db.query(`UPDATE invoices SET amount = amount - 1 WHERE event_id = $1`, [valid[16].event_id]);
    }
  });

  it('lists an invoice that no message explains as an orphan', async () => {
    const inside = new Date((from.getTime() + to.getTime()) / 2);
    const [orphan] = await db.query<{ id: string }>(
      `INSERT INTO invoices (event_id, tenant_id, order_id, amount, currency, created_at) VALUES (gen_random_uuid(), 'acme', 'forged', 10, 'USD', $1) RETURNING id`,
      [inside],
    );
    try {
      const { code, report } = await reconcileJson();
      expect(report.summary).toMatchObject({ orphan: 1, balanced: false, counts: { unexplained: 0 } });
      expect(report.orphans).toEqual([expect.objectContaining({ invoiceId: orphan.id, orderId: 'forged' })]);
      expect(code).toBe(EXIT_NOT_BALANCED);
    } finally {
      await db.query('DELETE FROM invoices WHERE id = $1', [orphan.id]);
    }
  });

  it('reports what the group has not committed yet as pending, and pending alone still balances', async () => {
    await app?.close();
    app = undefined;
    await kafka.publish(topic, [asMessage(orderCompleted()), asMessage(orderCompleted())]);
    const { code, report } = await reconcileJson(['--from', from.toISOString(), '--to', new Date(Date.now() + 1).toISOString()]);
    expect(report.summary.counts).toMatchObject({ invoiced: 20, pending: 2, unexplained: 0 });
    expect(code).toBe(0);
  });

  it("judges pending by the offsets stored with the data, as the consumer resumes, not by Kafka's committed offsets after a restore", async () => {
    // The backup: the stored offsets and invoices as they are now, with the 2 events above not yet billed.
    const backup = await db.query<{ partition: number; next_offset: string }>('SELECT partition, next_offset::text FROM consumer_offsets WHERE group_id = $1', [
      groupId,
    ]);
    const billed = (await db.query<{ id: string }>('SELECT id::text FROM invoices')).map((r) => r.id);
    ({ app } = await startTestApp({ databaseUrl: db.url, topic, groupId, env: { LOG_LEVEL: 'silent' } }));
    await processedAll();
    expect(await db.count('invoices')).toBe(billed.length + 2);
    await app.close();
    app = undefined;
    // The restore, as the service's own rows are restored: Kafka's committed offsets stay past the 2 events.
    await db.query('DELETE FROM invoice_outbox WHERE NOT (invoice_id = ANY($1::uuid[]))', [billed]);
    await db.query('DELETE FROM invoices WHERE NOT (id = ANY($1::uuid[]))', [billed]);
    await db.query('DELETE FROM processed_events');
    for (const { partition, next_offset } of backup) {
      await db.query('UPDATE consumer_offsets SET next_offset = $1 WHERE group_id = $2 AND topic = $3 AND partition = $4', [
        next_offset,
        groupId,
        topic,
        partition,
      ]);
    }

    const { code, report } = await reconcileJson(['--from', from.toISOString(), '--to', new Date(Date.now() + 1).toISOString()]);
    expect(report.summary.counts).toMatchObject({ invoiced: 20, pending: 2, unexplained: 0 });
    expect(code).toBe(0);
  });

  it('refuses a consumer group that never committed on the topic instead of calling everything pending', async () => {
    await expect(reconcile(['--from', from.toISOString(), '--to', to.toISOString(), '--group', uniqueName('typo')])).rejects.toThrow(
      /has no committed offset on/,
    );
  });

  it('refuses a bad range with a usage error', () => {
    const env = loadReconcileEnv({});
    expect(() => parseReconcileArgs(['--from', 'yesterday', '--to', '0:5'], env)).toThrow(CliUsageError);
    expect(() => parseReconcileArgs(['--from', '0:0'], env)).toThrow('--to is required');
    expect(() => parseReconcileArgs(['--from', '2026-11-25', '--to', '2026-11-24'], env)).toThrow('--from must be before --to');
    expect(() => parseReconcileArgs(['--from', '0:0', '--to', '0:1', '--format', 'xml'], env)).toThrow(/--format must be one of table, json, csv/);
  });
});
