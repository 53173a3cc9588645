import { Fixture } from './support/fixture';
import { asMessage, orderCompleted, TestKafka, uniqueName, waitFor } from './support/kafka';
import { announcements, checkAnnouncements } from './support/outbox';
import { bypassing, ProxiedKafka, startPrivateKafkaBehindProxy } from './support/private-kafka';
import { FaultProxy } from './support/standalone/fault-proxy';
import { freePort } from './support/standalone/service-process';

const BEFORE = 200;
const AFTER = 3_000;

interface HealthSample {
  status: number;
  body: { error?: Record<string, unknown> };
}

/** /health as often as it answers, until stopped: what an operator's probe would have seen. */
function watchHealth(port: number): { samples: HealthSample[]; stop(): Promise<void> } {
  const samples: HealthSample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
      if (response) samples.push({ status: response.status, body: (await response.json()) as HealthSample['body'] });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  return {
    samples,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

describe('a broker connection that goes silent (private broker behind a fault proxy, the built service)', () => {
  let fixture: Fixture;
  let proxy: FaultProxy;
  let broker: ProxiedKafka;
  let direct: TestKafka;

  beforeAll(async () => {
    fixture = await Fixture.create('broker_silence', { build: true });
    broker = await startPrivateKafkaBehindProxy();
    proxy = broker.proxy;
    // The test's own client reaches the broker's real port: the faults are the service's alone.
    direct = await new TestKafka({ brokers: broker.broker.brokers, socketFactory: bypassing(proxy.port, broker.brokerPort) }).connect();
  }, 300_000);

  afterAll(async () => {
    await fixture?.close();
    await direct?.disconnect();
    await broker?.stop();
  });

  it('drops the silent connections and invoices and announces everything published after, once each; /health is 503 meanwhile and 200 after', async () => {
    const { db } = fixture;
    const topic = uniqueName('order.completed.silent');
    await direct.createTopic(topic, 3);
    await direct.createTopic(`${topic}.dlt`, 1);
    const outboxTopic = `${topic}.invoice-created`;
    const port = await freePort();
    const service = await fixture.startService({
      KAFKA_BROKERS: `127.0.0.1:${proxy.port}`,
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: uniqueName('billing'),
      OUTBOX_TOPIC: outboxTopic,
      OUTBOX_POLL_INTERVAL_MS: '200',
      PORT: String(port),
    });
    // Every connection the service needs is open and in use: consumer, group coordinator, outbox producer.
    await direct.publish(
      topic,
      Array.from({ length: BEFORE }, () => asMessage(orderCompleted())),
    );
    await waitFor(async () => (await db.countPublished()) === BEFORE, 60_000, 'the first invoices announced');
    expect(proxy.connections()).toBeGreaterThan(0);

    proxy.silenceExisting();
    const health = watchHealth(port);
    try {
      await direct.publish(
        topic,
        Array.from({ length: AFTER }, () => asMessage(orderCompleted())),
      );
      await waitFor(async () => (await db.countPublished()) === BEFORE + AFTER, 60_000, 'every invoice announced');
      await waitFor(() => health.samples.at(-1)?.status === 200, 60_000, '/health to answer 200 again');
    } finally {
      await health.stop();
    }

    const down = health.samples.filter((s) => s.status === 503);
    expect(down.length).toBeGreaterThan(0);
    expect(down.some((s) => Object.keys(s.body.error ?? {}).includes('kafka_connections'))).toBe(true);
    expect(await db.count('invoices')).toBe(BEFORE + AFTER);
    const messages = announcements(await direct.readAll(outboxTopic, BEFORE + AFTER));
    expect(await checkAnnouncements(db, messages)).toEqual([]);
    expect(messages).toHaveLength(BEFORE + AFTER);
    expect(service.running).toBe(true);
    await service.stop();
  }, 240_000);

  it('keeps its partitions, with no rebalance, while every answer of an idle broker comes 0.5 s late (6-second session)', async () => {
    proxy.heal();
    const topic = uniqueName('order.completed.late');
    await direct.createTopic(topic, 3);
    await direct.createTopic(`${topic}.dlt`, 1);
    const service = await fixture.startService({
      KAFKA_BROKERS: `127.0.0.1:${proxy.port}`,
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: uniqueName('billing'),
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      KAFKA_HEARTBEAT_INTERVAL_MS: '1500',
      OUTBOX_TOPIC: `${topic}.invoice-created`,
      PORT: String(await freePort()),
    });
    const joins = () => service.lines.filter((l) => l.msg === 'Consumer has joined the group').length;
    await waitFor(() => joins() > 0, 60_000, 'the group join');

    // Heartbeats sent only between 5-second long polls, each way of each exchange late, reach the broker 7 s apart;
    // with polls no longer than the 1.5-second interval, 3.5 s apart.
    const before = service.lines.length;
    proxy.delay(500);
    try {
      await new Promise((resolve) => setTimeout(resolve, 20_000));
    } finally {
      proxy.heal();
    }
    expect(service.lines.slice(before).filter((l) => l.level !== 'info')).toEqual([]);
    expect(joins()).toBe(1);
    await service.stop();
  }, 120_000);
});
