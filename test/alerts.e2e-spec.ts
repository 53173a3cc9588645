import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { RetentionService } from '../src/retention/retention.service';
import { Band, ChartPanel, renderDashboardSvg } from './support/dashboard-svg';
import { legendOf, loadDashboard, metricNamesOf } from './support/dashboard';
import { asMessage, orderCompleted, OutgoingMessage, TestKafka, waitFor } from './support/kafka';
import { acceleratedRules, PromAlert, RULES_FILE, TestPrometheus } from './support/prometheus';
import { freePort } from './support/standalone/service-process';
import { Fixture, TestDatabase } from './support/fixture';

const PARTITIONS = 3;
/** The rules' minutes become seconds: the stuck alert needs 10 s without a commit plus 5 s pending. */
const SPEEDUP = 60;
const STUCK = 'BillingPartitionStuck';
const WINDOW_SECONDS = 10;
const PENDING_SECONDS = 5;
const SVG_FILE = process.env.DASHBOARD_SVG ?? join(__dirname, '..', '.infra', 'alerts', 'billing-dashboard.svg');

const nowSeconds = () => Date.now() / 1000;

/** Publishes to every partition every 200 ms: new events, and every 5th tick a duplicate and a poison message. */
class Traffic {
  private timer?: NodeJS.Timeout;
  private inFlight: Promise<void> = Promise.resolve();
  private ticks = 0;
  private readonly sent: OutgoingMessage[] = [];

  constructor(
    private readonly kafka: TestKafka,
    private readonly topic: string,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.inFlight = this.inFlight.then(() => this.kafka.publish(this.topic, this.nextMessages()));
    }, 200);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.inFlight;
  }

  private nextMessages(): OutgoingMessage[] {
    this.ticks += 1;
    const fresh = Array.from({ length: PARTITIONS }, (_, partition) => ({ ...asMessage(orderCompleted()), partition }));
    const extra: OutgoingMessage[] = [];
    if (this.ticks % 5 === 0) {
      extra.push(this.sent[Math.floor(this.sent.length / 2)]);
      extra.push({ key: 'poison', value: '{"event_id": ', partition: 1 + (this.ticks % 2) });
    }
    this.sent.push(...fresh);
    return [...fresh, ...extra];
  }
}

describe('alert rules and dashboard on a real Prometheus scraping the service (real Kafka, real PostgreSQL)', () => {
  let fixture: Fixture;
  let db: TestDatabase;
  let kafka: TestKafka;
  let topic: string;
  let prometheus: TestPrometheus;
  let app: INestApplication;
  let port: number;
  const run = { start: 0, end: 0 };

  const stuckAlerts = async (): Promise<PromAlert[]> => (await prometheus.alerts(STUCK)).filter((a) => a.labels.topic === topic);

  async function committedChanges(seconds: number): Promise<Record<string, number>> {
    const result = await prometheus.query(`max by (partition) (changes(billing_consumer_committed_offset{topic="${topic}"}[${seconds}s]))`);
    return Object.fromEntries(result.map((r) => [r.metric.partition, Number(r.value[1])]));
  }

  /** The partitions the stuck alert was ever pending or firing for since the run began. */
  async function partitionsEverAlerted(): Promise<string[]> {
    const series = await prometheus.queryRange(`ALERTS{alertname="${STUCK}", topic="${topic}"}`, run.start, nowSeconds(), 1);
    return [...new Set(series.map((s) => s.metric.partition))];
  }

  /** Claims past the retention, then a purge: the purge panels get a run to show. */
  async function purgeOldClaims(rows: number): Promise<void> {
    await db.query(
      `INSERT INTO processed_events (event_id, fingerprint, processed_at)
       SELECT gen_random_uuid(), repeat('0', 64), now() - interval '40 days' FROM generate_series(1, $1::int)`,
      [rows],
    );
    expect((await app.get(RetentionService).purge('admin')).deleted).toBe(rows);
  }

  /**
   * An uncommitted transaction holds the claim row of a new event published to partition 0: the consumer's claim
   * times out on the row lock and is retried until the holder rolls back.
   */
  async function holdPartitionZero(holder: Client): Promise<string> {
    const event = orderCompleted({ event_id: randomUUID() });
    await holder.query('BEGIN');
    await holder.query(`INSERT INTO processed_events (event_id, fingerprint) VALUES ($1, repeat('0', 64))`, [event.event_id]);
    await kafka.publish(topic, [{ ...asMessage(event), partition: 0 }]);
    return event.event_id;
  }

  /** The alert names partition 0 alone, whose event is retrying, while partitions 1 and 2 keep committing. */
  async function expectOnlyPartitionZeroStuck(): Promise<void> {
    const alerts = await stuckAlerts();
    expect(alerts.map((a) => ({ partition: a.labels.partition, state: a.state, severity: a.labels.severity }))).toEqual([
      { partition: '0', state: 'firing', severity: 'critical' },
    ]);
    expect(Number(alerts[0].value)).toBeGreaterThan(1);
    const changes = await committedChanges(WINDOW_SECONDS);
    expect(changes['0']).toBe(0);
    expect(Math.min(changes['1'], changes['2'])).toBeGreaterThan(0);
    const retrying = await prometheus.query(`max by (partition) (billing_consumer_retrying_seconds{topic="${topic}"}) > 0`);
    expect(retrying.map((r) => r.metric.partition)).toEqual(['0']);
    expect(Number(retrying[0].value[1])).toBeGreaterThan(WINDOW_SECONDS);
  }

  beforeAll(async () => {
    fixture = await Fixture.create('alerts');
    ({ db, kafka } = fixture);
    topic = await fixture.topic('order.completed.alerts', PARTITIONS);
    // Prometheus first: it scrapes the service from its first second.
    port = await freePort();
    prometheus = await TestPrometheus.start({
      targets: [`127.0.0.1:${port}`],
      rules: acceleratedRules(readFileSync(RULES_FILE, 'utf8'), SPEEDUP),
      intervalSeconds: 1,
    });
    // A claim waiting on a row lock times out after 1 s (a transient fault) and is retried at most 1 s later.
    const env = { DATABASE_LOCK_TIMEOUT_MS: '1000', CONSUMER_RETRY_MAX_MS: '1000' };
    app = await fixture.startApp({ topic, env });
    await app.listen(port, '127.0.0.1');
  });

  afterAll(async () => {
    await prometheus?.stop();
    await fixture?.close();
  });

  it('fires BillingPartitionStuck for the one partition behind a locked claim while the others flow, and resolves it', async () => {
    const traffic = new Traffic(kafka, topic);
    run.start = nowSeconds();
    traffic.start();
    const holder = new Client({ connectionString: db.url });
    await holder.connect();
    try {
      await waitFor(async () => (await db.count('invoices')) >= 10 * PARTITIONS, 30_000, 'the consumers to invoice');
      // Prometheus must have seen every partition commit: then only the rule's window can make the alert fire.
      await waitFor(
        async () => {
          const changes = await committedChanges(WINDOW_SECONDS);
          return Object.keys(changes).length === PARTITIONS && Object.values(changes).every((n) => n > 0);
        },
        30_000,
        'commits on every partition, as Prometheus sees them',
      );
      await prometheus.evaluatedAfter(STUCK, nowSeconds());
      expect(await stuckAlerts()).toEqual([]);
      expect(await partitionsEverAlerted()).toEqual([]);
      await purgeOldClaims(500);

      const stuckEventId = await holdPartitionZero(holder);
      const stuckSince = nowSeconds();
      await waitFor(async () => (await stuckAlerts()).some((a) => a.state === 'firing'), 40_000, `${STUCK} firing`);
      // 10 s (10m in production) without a commit, then 5 s (5m) pending.
      expect(nowSeconds() - stuckSince).toBeGreaterThanOrEqual(WINDOW_SECONDS + PENDING_SECONDS - 1);
      await expectOnlyPartitionZeroStuck();

      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await holder.query('ROLLBACK');
      await waitFor(async () => (await stuckAlerts()).length === 0 && (await prometheus.ruleState(STUCK)) === 'inactive', 20_000, `${STUCK} resolved`);
      await waitFor(async () => (await db.count('invoices', 'event_id = $1', [stuckEventId])) === 1, 10_000, 'the held event invoiced');
      expect(await partitionsEverAlerted()).toEqual(['0']);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    } finally {
      await holder.end();
      await traffic.stop();
      run.end = nowSeconds();
    }
  });

  it('has a dashboard whose panels have a title and a unit, and whose queries run and read only metrics the service exports', async () => {
    const dashboard = loadDashboard();
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    // Sample names, and the names declared by # TYPE (a labelled gauge has no sample until its first value).
    const exported = new Set(text.split('\n').map((l) => (l.startsWith('# TYPE ') ? l.split(' ')[2] : l.split(/[{ ]/)[0])));
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(10);

    const problems: string[] = [];
    let namesChecked = 0;
    for (const panel of dashboard.panels) {
      if (!panel.title) problems.push(`a panel without a title: ${JSON.stringify(panel).slice(0, 80)}`);
      if (!panel.fieldConfig?.defaults?.unit) problems.push(`${panel.title}: no unit`);
      if (!panel.targets?.length) problems.push(`${panel.title}: no query`);
      for (const target of panel.targets ?? []) {
        const names = metricNamesOf(target.expr);
        if (names.length === 0) problems.push(`${panel.title}: no metric in ${target.expr}`);
        namesChecked += names.length;
        for (const name of names) {
          if (!exported.has(name)) problems.push(`${panel.title}: ${name} is not in /metrics`);
        }
        await prometheus.query(forPrometheus(target.expr)).catch((error: Error) => problems.push(`${panel.title}: ${error.message}`));
      }
    }
    expect(problems).toEqual([]);
    expect(namesChecked).toBeGreaterThan(15);
    expect(metricNamesOf('sum by (le) (rate(billing_x_bucket{le="1"}[5m])) / on (job) count(up)')).toEqual(['billing_x_bucket', 'up']);

    await renderDashboard(dashboard.title, dashboard.panels);
  });

  /** Grafana's interval variable, as Grafana would set it for a 1 s scrape. */
  function forPrometheus(expr: string): string {
    return expr.replace(/\$__rate_interval/g, '4s');
  }

  async function renderDashboard(title: string, panels: ReturnType<typeof loadDashboard>['panels']): Promise<void> {
    // Run alone, this test draws the last 30 s.
    const end = run.end || nowSeconds();
    const range = { start: Math.floor(run.start || end - 30), end: Math.ceil(end), step: 1 };
    const charts: ChartPanel[] = [];
    for (const panel of panels) {
      const series = [];
      for (const target of panel.targets ?? []) {
        for (const result of await prometheus.queryRange(forPrometheus(target.expr), range.start, range.end, range.step)) {
          series.push({ label: legendOf(target.legendFormat, result.metric), points: result.values.map(([t, v]): [number, number] => [t, Number(v)]) });
        }
      }
      charts.push({ title: panel.title ?? '', unit: panel.fieldConfig?.defaults?.unit ?? '', series });
    }
    const bands: Band[] = [];
    for (const state of ['pending', 'firing'] as const) {
      const series = await prometheus.queryRange(`max(ALERTS{alertname="${STUCK}", alertstate="${state}", topic="${topic}"})`, range.start, range.end, 1);
      const times = (series[0]?.values ?? []).map(([t]) => t);
      if (times.length > 0) bands.push({ from: times[0], to: times[times.length - 1] + 1, label: `${STUCK} ${state}`, state });
    }
    const subtitle = `${PARTITIONS} partitions; partition 0 stuck behind an event whose claim times out on a held row lock and is retried. From Prometheus (1 s scrapes) during test/alerts.e2e-spec.ts`;
    mkdirSync(dirname(SVG_FILE), { recursive: true });
    writeFileSync(SVG_FILE, renderDashboardSvg({ title, subtitle }, charts, range, bands));
  }
});
