import { randomUUID } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import { PoisonMessageError } from '../src/common/errors';
import { BillingConfig } from '../src/config/configuration';
import { BillingMetrics } from '../src/observability/billing-metrics';
import { ConsumerSupervisor } from '../src/order-events/consumer-supervisor';
import { OrderEventParser } from '../src/order-events/order-event.parser';
import { HostileMessage, hostileMessages } from './support/standalone/hostile-messages';
import { asMessage, orderCompleted, TestKafka, uniqueName, waitFor } from './support/kafka';
import { startTestApp, TestDatabase } from './support/fixture';

const TENANT = 'hostile';
const REFUSED_PREFIX = 'refused-by-db-';
const PARTITIONS = 4;
const PER_PARTITION = 40;
const SEED = Number(process.env.HOSTILE_SEED ?? Date.now() % 1_000_000);

describe('the hostile-message generator', () => {
  it.each([1, 2, 3, SEED])('predicts what the parser decides for 2,000 messages of seed %i', (seed) => {
    const parser = new OrderEventParser(new BillingConfig({ defaultCurrency: 'USD' }));
    const decided = hostileMessages(seed, 2_000, { tenantId: TENANT, refusedByDatabasePrefix: REFUSED_PREFIX }).map((message) => {
      try {
        parser.parse(message.value);
        return [message.shape, message.expected === 'rejected_by_database' ? 'rejected_by_database' : 'invoiced'];
      } catch (error) {
        if (error instanceof PoisonMessageError) return [message.shape, error.reason];
        throw error;
      }
    });
    const expected = hostileMessages(seed, 2_000, { tenantId: TENANT, refusedByDatabasePrefix: REFUSED_PREFIX }).map((m) => [m.shape, m.expected]);
    expect(decided).toEqual(expected);
    expect(new Set(expected.map(([, outcome]) => outcome))).toEqual(
      new Set(['invoiced', 'invalid_encoding', 'invalid_json', 'invalid_payload', 'rejected_by_database']),
    );
  });
});

describe('hostile messages (real Kafka, real PostgreSQL)', () => {
  let db: TestDatabase;
  let kafka: TestKafka;
  let app: INestApplication | undefined;
  const deaths: Error[] = [];

  beforeAll(async () => {
    db = await TestDatabase.create('hostile');
    // PostgreSQL itself refuses these rows: the database is the final judge of what our validation let through.
    await db.query(`ALTER TABLE invoices ADD CONSTRAINT test_refuses_order CHECK (order_id NOT LIKE '${REFUSED_PREFIX}%')`);
    kafka = await new TestKafka().connect();
  });

  afterAll(async () => {
    await app?.close();
    await kafka.disconnect();
    await db.drop();
  });

  it(`isolates every bad message and invoices every sentinel behind it (seed ${SEED})`, async () => {
    const topic = uniqueName('order.completed.hostile');
    const groupId = uniqueName('billing');
    await kafka.createTopic(topic, PARTITIONS);
    await kafka.createTopic(`${topic}.dlt`, 1);
    const hostile = hostileMessages(SEED + 1, PARTITIONS * PER_PARTITION, {
      tenantId: TENANT,
      refusedByDatabasePrefix: REFUSED_PREFIX,
    });
    const sentinels = Array.from({ length: PARTITIONS }, () => orderCompleted({ tenant_id: TENANT }));
    const sent: { message: HostileMessage; partition: number }[] = [];
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const mine = hostile.slice(partition * PER_PARTITION, (partition + 1) * PER_PARTITION);
      mine.forEach((message) => sent.push({ message, partition }));
      await kafka.publish(topic, [...mine.map((m) => ({ key: m.key, value: m.value, partition })), { ...asMessage(sentinels[partition]), partition }]);
    }

    ({ app } = await startTestApp({
      databaseUrl: db.url,
      topic,
      groupId,
      // Every poison line is a warning by design; only errors would say something went wrong.
      env: { LOG_LEVEL: 'error' },
      overrides: [{ provide: ConsumerSupervisor, useValue: { consumerDied: (error: Error) => deaths.push(error) } }],
    }));
    const end = await kafka.endOffsets(topic);
    await waitFor(async () => (await kafka.committedOffsets(groupId, topic)) === end, 90_000, 'every message acknowledged');

    const sentinelInvoices = await db.count('invoices', 'event_id = ANY($1::uuid[])', [sentinels.map((s) => s.event_id)]);
    expect(sentinelInvoices).toBe(PARTITIONS);
    await expectInvoicesOf(sent.map((s) => s.message).filter((m) => m.expected === 'invoiced'));
    await expectDeadLettersOf(topic, sent);
    const metrics = app.get(BillingMetrics);
    expect((await metrics.eventRetries.get()).values.reduce((sum, v) => sum + v.value, 0)).toBe(0);
    expect(deaths).toEqual([]);
  });

  async function expectInvoicesOf(valid: HostileMessage[]): Promise<void> {
    const rows = await db.query<{ event_id: string; order_id: string; amount: string }>(
      'SELECT event_id, order_id, amount FROM invoices WHERE event_id = ANY($1::uuid[]) ORDER BY event_id',
      [valid.map((m) => m.invoice?.eventId ?? randomUUID())],
    );
    const expected = valid.map((m) => m.invoice).sort((a, b) => ((a?.eventId ?? '') < (b?.eventId ?? '') ? -1 : 1));
    expect(rows.map((r) => ({ eventId: r.event_id, orderId: r.order_id, amount: r.amount }))).toEqual(expected);
  }

  async function expectDeadLettersOf(topic: string, sent: { message: HostileMessage; partition: number }[]): Promise<void> {
    const rejected = sent.filter((s) => s.message.expected !== 'invoiced');
    const letters = await kafka.readAll(`${topic}.dlt`, rejected.length, 60_000);
    expect(letters).toHaveLength(rejected.length);
    const bySource = new Map(letters.map((l) => [`${l.headers['x-dlt-source-partition']}/${l.headers['x-dlt-source-offset']}`, l]));
    expect(bySource.size).toBe(rejected.length);
    const offsets = offsetsWithinPartitions(sent);
    for (const [i, { message, partition }] of sent.entries()) {
      const letter = bySource.get(`${partition}/${offsets[i]}`);
      if (message.expected === 'invoiced') {
        expect(letter).toBeUndefined();
        continue;
      }
      expect({ shape: message.shape, reason: letter?.headers['x-dlt-reason'] }).toEqual({ shape: message.shape, reason: message.expected });
      expect(Buffer.compare(letter?.value ?? Buffer.alloc(0), message.value ?? Buffer.alloc(0))).toBe(0);
      if (message.expected === 'rejected_by_database') expect(letter?.headers['x-dlt-sqlstate']).toBe('23514');
    }
  }
});

/** Each partition got its messages in order on a new topic: the n-th message sent to a partition is at offset n. */
function offsetsWithinPartitions(sent: { partition: number }[]): string[] {
  const next = new Map<number, number>();
  return sent.map(({ partition }) => {
    const offset = next.get(partition) ?? 0;
    next.set(partition, offset + 1);
    return String(offset);
  });
}
