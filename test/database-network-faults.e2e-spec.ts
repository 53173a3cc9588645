import { Fixture } from './support/fixture';
import { asMessage, orderCompleted, OrderCompletedFields, uniqueName, waitFor } from './support/kafka';
import { announcements, checkAnnouncements } from './support/outbox';
import { FaultProxy } from './support/standalone/fault-proxy';
import { freePort, ServiceProcess } from './support/standalone/service-process';

interface HealthSample {
  at: number;
  status: number;
  databaseDown: boolean;
}

/** Polls /health all along, so what an operator would have seen at any moment can be asked afterwards. */
class HealthWatch {
  readonly samples: HealthSample[] = [];
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(private readonly port: number) {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  firstDatabaseDownAfter(since: number): HealthSample | undefined {
    return this.samples.find((s) => s.at >= since && s.status === 503 && s.databaseDown);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const at = Date.now();
      try {
        const response = await fetch(`http://127.0.0.1:${this.port}/health`, { signal: AbortSignal.timeout(5_000) });
        const body = (await response.json()) as { error?: { database?: { status?: string } } };
        this.samples.push({ at, status: response.status, databaseDown: body.error?.database?.status === 'down' });
      } catch {
        this.samples.push({ at, status: 0, databaseDown: false });
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

describe('PostgreSQL network faults under the built service (real Kafka, real PostgreSQL through a fault proxy)', () => {
  let fixture: Fixture;
  let proxy: FaultProxy;
  let service: ServiceProcess;
  let health: HealthWatch;
  let topic: string;
  let port: number;
  const published: OrderCompletedFields[] = [];

  beforeAll(async () => {
    fixture = await Fixture.create('db_network_faults', { build: true });
    proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: 5432 }, maxLifetimeMs: 15 * 60_000 });
    topic = await fixture.topic('order.completed.db-faults', 6);
    port = await freePort();
    service = await fixture.startService({
      // Every connection of the service goes through the proxy; the test's own queries go straight to PostgreSQL.
      DATABASE_URL: fixture.db.url.replace(':5432/', `:${proxy.port}/`),
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: uniqueName('billing'),
      OUTBOX_TOPIC: `${topic}.invoice-created`,
      OUTBOX_POLL_INTERVAL_MS: '200',
      PORT: String(port),
    });
    health = new HealthWatch(port);
  }, 300_000);

  afterAll(async () => {
    await health?.stop();
    await proxy?.close();
    await fixture.close();
  });

  async function publish(count: number): Promise<void> {
    const events = Array.from({ length: count }, () => orderCompleted());
    for (let i = 0; i < count; i += 500) await fixture.kafka.publish(topic, events.slice(i, i + 500).map(asMessage));
    published.push(...events);
  }

  async function silentConnectionsDropped(): Promise<number> {
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return Number(/^billing_database_silent_connections_dropped_total (\d+)$/m.exec(metrics)?.[1]);
  }

  const allInvoiced = async () => (await fixture.db.count('invoices')) === published.length;

  async function expectEachInvoicedAndAnnouncedOnce(): Promise<void> {
    const { db } = fixture;
    expect(await db.count('processed_events')).toBe(published.length);
    const billed = await db.query<{ event_id: string }>('SELECT event_id FROM invoices');
    expect(new Set(billed.map((r) => r.event_id))).toEqual(new Set(published.map((e) => e.event_id)));
    // Counted once: a transaction that was abandoned on a silent connection and retried reports its events once. Its
    // log lines come after the commit, through a pipe.
    await waitFor(() => service.outcomes('invoiced') >= published.length, 30_000, 'an outcome line per event');
    const outcomes = Object.fromEntries(['invoiced', 'duplicate', 'duplicate_order'].map((o) => [o, service.outcomes(o)]));
    expect({ ...outcomes, published: published.length }).toEqual({ ...outcomes, invoiced: published.length, published: published.length });
    await waitFor(async () => (await db.count('invoice_outbox_pending')) === 0, 60_000, 'every invoice announced');
    const messages = announcements(await fixture.kafka.readAll(`${topic}.invoice-created`, published.length));
    expect(await checkAnnouncements(db, messages)).toEqual([]);
    expect(new Set(messages.map((m) => m.body.invoice_id)).size).toBe(published.length);
  }

  const healthyAgain = (what: string) =>
    waitFor(() => health.samples.at(-1)?.status === 200 && health.samples.at(-2)?.status === 200, 60_000, `/health 200 again after ${what}`);

  it('a failover: the connections the service holds go silent for good, new ones work; billing resumes by itself within 60 s, each event once', async () => {
    await publish(200);
    await waitFor(allInvoiced, 60_000, 'the service invoicing');
    await healthyAgain('start');
    expect(proxy.connections()).toBeGreaterThan(0);

    const faultAt = Date.now();
    proxy.silenceExisting();
    await publish(3_000);
    await waitFor(allInvoiced, 60_000 - (Date.now() - faultAt), '3,000 events published after the fault, invoiced');

    // Connections the service still held hang until they are found silent: /health says so meanwhile.
    await waitFor(() => health.firstDatabaseDownAfter(faultAt) !== undefined, 30_000, '/health 503 naming the database');
    expect(health.firstDatabaseDownAfter(faultAt)!.at - faultAt).toBeLessThan(15_000);
    // Billing may be back before the last silent connection (a /health ping's, say) is found and dropped; /health
    // reports the fault until then, and for a while after.
    await waitFor(async () => (await silentConnectionsDropped()) > 0, 30_000, 'the silent connections found and dropped');
    await healthyAgain('the failover');
    expect(service.running).toBe(true);
    await expectEachInvoicedAndAnnouncedOnce();
  });

  it('every connection reset: billing resumes on new connections, each event once', async () => {
    await publish(500);
    proxy.resetAll();
    await waitFor(allInvoiced, 60_000, 'events published around the reset, invoiced');
    await healthyAgain('the reset');
    await expectEachInvoicedAndAnnouncedOnce();
  });

  it('added latency both ways: slower, nothing lost or doubled, healthy', async () => {
    proxy.delay(40);
    await publish(500);
    await waitFor(allInvoiced, 60_000, 'events published under latency, invoiced');
    await healthyAgain('latency');
    proxy.heal();
    await expectEachInvoicedAndAnnouncedOnce();
  });

  it('a partition: nothing gets through, old connections or new; /health says so, and billing resumes by itself once it heals', async () => {
    const faultAt = Date.now();
    proxy.silenceAll();
    await publish(300);
    await waitFor(() => health.firstDatabaseDownAfter(faultAt) !== undefined, 15_000, '/health 503 naming the database');
    proxy.heal();
    await waitFor(allInvoiced, 60_000, 'events published during the partition, invoiced after it');
    await healthyAgain('the partition');
    await expectEachInvoicedAndAnnouncedOnce();
  });
});
