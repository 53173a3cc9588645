import { Writable } from 'node:stream';
import request from 'supertest';
import { reconcileCommand } from '../src/cli/reconcile';
import { MessageReport } from '../src/reconcile/reconcile-report';
import { offsetsCommand } from '../src/cli/offsets';
import { CODEC_IDS, corruptOnDisk, storedBatches } from './support/broker-log';
import { Fixture } from './support/fixture';
import { seededRandom } from './support/standalone/hostile-messages';
import { sendCodecs } from './support/standalone/send-codecs';
import { freePort } from './support/standalone/service-process';
import { kcatConsume, kcatProduce, KcatCodec } from './support/kcat';
import { asMessage, BROKERS, orderCompleted, OrderCompletedFields, uniqueName, waitFor } from './support/kafka';

const CODECS: KcatCodec[] = ['gzip', 'snappy', 'lz4', 'zstd'];

class Capture extends Writable {
  text = '';

  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}
const asLine = (event: OrderCompletedFields) => ({ key: event.order_id, value: JSON.stringify(event) });

describe('batches compressed by librdkafka (kcat), built service (real Kafka, real PostgreSQL)', () => {
  let fixture: Fixture;
  let logDir: string;

  beforeAll(async () => {
    fixture = await Fixture.create('codecs', { build: true });
    logDir = await fixture.kafka.brokerLogDir();
  }, 300_000);

  afterAll(() => fixture.close());

  const invoiced = (events: OrderCompletedFields[]) => fixture.db.count('invoices', 'event_id = ANY($1::uuid[])', [events.map((e) => e.event_id)]);
  const serviceEnv = (topic: string) => ({ KAFKA_TOPIC: topic, KAFKA_GROUP_ID: uniqueName('billing'), OUTBOX_TOPIC: `${topic}.invoice-created` });

  it('invoices 50 events each from gzip, snappy, lz4 and zstd batches, each once, and reconcile reads them all', async () => {
    const topic = await fixture.topic('order.completed.codecs', CODECS.length);
    const env = serviceEnv(topic);
    const events = CODECS.map(() => Array.from({ length: 50 }, () => orderCompleted()));
    await Promise.all(CODECS.map((codec, partition) => kcatProduce(topic, partition, codec, events[partition].map(asLine))));
    CODECS.forEach((codec, partition) => {
      const batches = storedBatches(logDir, topic, partition);
      expect(batches.every((b) => b.codec === CODEC_IDS[codec])).toBe(true);
      expect(batches.length).toBeGreaterThan(1);
      expect(batches.some((b) => b.records > 1)).toBe(true);
    });

    const service = await fixture.startService(env);
    await waitFor(async () => (await invoiced(events.flat())) === 200, 60_000, '200 invoices');
    expect(await fixture.db.count('invoices')).toBe(200);
    expect(await fixture.db.count('processed_events')).toBe(200);
    await waitFor(() => service.outcomes('invoiced') === 200, 10_000, '200 invoiced lines');
    expect(service.outcomes('duplicate') + service.outcomes('poison')).toBe(0);
    expect(service.running).toBe(true);

    const report = new Capture();
    const range = ['--from', '0:0,1:0,2:0,3:0', '--to', '0:50,1:50,2:50,3:50', '--format', 'json'];
    const cliEnv = { DATABASE_URL: fixture.db.url, KAFKA_BROKERS: BROKERS.join(','), KAFKA_TOPIC: topic, KAFKA_GROUP_ID: env.KAFKA_GROUP_ID };
    expect(await reconcileCommand(range, { stdout: report, stderr: new Capture() }, cliEnv)).toBe(0);
    const messages = (JSON.parse(report.text) as { messages: MessageReport[] }).messages;
    expect(messages.filter((m) => m.class === 'invoiced')).toHaveLength(200);
  });

  it('parks only the partition whose batch is corrupt, names it in /health, keeps the others invoicing, and resumes once moved past it', async () => {
    const { db, kafka } = fixture;
    const topic = await fixture.topic('order.completed.corrupt', 3);
    const env = serviceEnv(topic);
    const before = Array.from({ length: 5 }, () => orderCompleted());
    const lost = Array.from({ length: 5 }, () => orderCompleted());
    await kcatProduce(topic, 1, 'gzip', before.map(asLine));
    await kcatProduce(topic, 1, 'gzip', lost.map(asLine));
    const corrupt = storedBatches(logDir, topic, 1).find((b) => b.baseOffset === 5)!;
    expect(corrupt).toMatchObject({ codec: CODEC_IDS.gzip, lastOffset: 9 });
    corruptOnDisk(corrupt);
    const others = Array.from({ length: 20 }, () => orderCompleted());
    await kafka.publish(
      topic,
      others.map((e, i) => ({ ...asMessage(e), partition: i % 2 === 0 ? 0 : 2 })),
    );

    const port = await freePort();
    const service = await fixture.startService({ ...env, PORT: String(port) });
    const http = () => request(`http://127.0.0.1:${port}`);
    const health = () => http().get('/health');
    // Until the consumer has joined, /health is 503 for the connection alone.
    const parkedPartitions = async () => ((await health()).body as { error?: { kafka_partitions?: unknown } }).error?.kafka_partitions;
    await waitFor(async () => (await parkedPartitions()) !== undefined, 60_000, '/health to name the parked partition');
    expect((await health()).status).toBe(503);
    expect(await parkedPartitions()).toMatchObject({
      status: 'down',
      undecodable: [{ topic, partition: 1, offset: '5', last_offset: '9' }],
    });
    await waitFor(async () => (await invoiced([...before, ...others])) === 25, 60_000, 'partitions 0 and 2, and partition 1 up to the corrupt batch');
    expect(service.lines).toContainEqual(expect.objectContaining({ level: 'error', outcome: 'parked', topic, partition: 1, offset: '5', last_offset: '9' }));
    expect((await http().get('/metrics')).text).toContain(`billing_partition_undecodable{topic="${topic}",partition="1"} 1`);

    const later = Array.from({ length: 10 }, () => orderCompleted());
    await kafka.publish(
      topic,
      later.map((e, i) => ({ ...asMessage(e), partition: i % 2 === 0 ? 0 : 2 })),
    );
    await waitFor(async () => (await invoiced(later)) === 10, 60_000, 'the other partitions still invoicing');
    expect(service.running).toBe(true);
    expect(await invoiced(lost)).toBe(0);

    // docs/runbook.md#billingpartitionundecodable: stop, move the partition past the batch, start again.
    expect(await service.stop()).toBe(true);
    const cliEnv = { DATABASE_URL: db.url, KAFKA_BROKERS: BROKERS.join(','), KAFKA_TOPIC: topic, KAFKA_GROUP_ID: env.KAFKA_GROUP_ID };
    await offsetsCommand(['move', '--partition', '1', '--to', '10'], () => undefined, cliEnv);
    const after = orderCompleted();
    await kcatProduce(topic, 1, 'lz4', [asLine(after)]);
    await fixture.startService({ ...env, PORT: String(port) });
    await waitFor(async () => (await invoiced([after])) === 1, 60_000, 'partition 1 invoicing again');
    await waitFor(async () => (await health()).status === 200, 30_000, '/health 200 once partition 1 is moved past the batch');
  });

  it('dead-letters in batches of the KAFKA_DLT_COMPRESSION codec (each of them), which librdkafka reads back', async () => {
    const deadLetterTopic = async (codec: KcatCodec) => {
      const topic = await fixture.topic(`order.completed.dlt-${codec}`, 1);
      await fixture.kafka.publish(topic, [{ key: 'k', value: `{"not":"an order ${codec}"}` }]);
      await fixture.startApp({ topic, env: { KAFKA_DLT_COMPRESSION: codec, LOG_LEVEL: 'error' } });
      return `${topic}.dlt`;
    };
    const topics = await Promise.all(CODECS.map(deadLetterTopic));
    await Promise.all(
      CODECS.map(async (codec, i) => {
        const [letter] = await fixture.kafka.readAll(topics[i], 1);
        expect(String(letter.value)).toBe(`{"not":"an order ${codec}"}`);
        expect(storedBatches(logDir, topics[i], 0).map((b) => b.codec)).toEqual([CODEC_IDS[codec]]);
        expect(await kcatConsume(topics[i], 0, 1)).toEqual([`{"not":"an order ${codec}"}`]);
      }),
    );
    await fixture.closeApps();
  });
});

describe("the chaos workload's producer sends (test/chaos/run.ts)", () => {
  const sends = (seed: number, n: number) => {
    const next = sendCodecs(seededRandom(seed));
    return Array.from({ length: n }, () => next());
  };

  it('compress the first four with each codec, then a seeded mix, half of it uncompressed', () => {
    const codecs = sends(42, 400);
    expect(codecs.slice(0, 4)).toEqual(['gzip', 'snappy', 'lz4', 'zstd']);
    const counts = Object.fromEntries(['none', ...CODECS].map((codec) => [codec, codecs.filter((c) => c === codec).length]));
    expect(counts.none).toBeGreaterThan(150);
    expect(counts.none).toBeLessThan(250);
    for (const codec of CODECS) expect(counts[codec]).toBeGreaterThan(20);
    expect(sends(42, 400)).toEqual(codecs);
    expect(sends(43, 400)).not.toEqual(codecs);
  });
});
