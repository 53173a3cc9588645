import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './kafka';
import { freePort } from './standalone/service-process';

export const RULES_FILE = join(__dirname, '..', '..', 'deploy', 'prometheus', 'billing-alerts.yml');

const SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** The rules with every range, `offset` and `for` divided by the factor (10m becomes 10s at 60), so a test sees them in seconds. */
export function acceleratedRules(rules: string, factor: number): string {
  return rules.replace(/(\[|for: |offset )(\d+)([smhd])/g, (_, prefix: string, amount: string, unit: string) => {
    return `${prefix}${Math.max(1, Math.round((Number(amount) * SECONDS[unit]) / factor))}s`;
  });
}

export interface PromSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

export interface PromAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
  value: string;
}

/** A real Prometheus (Debian package) on 127.0.0.1 with a temporary data directory, scraping the given targets. */
export class TestPrometheus {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly url: string,
  ) {}

  static async start(options: { targets: string[]; rules: string; intervalSeconds: number }): Promise<TestPrometheus> {
    const dir = mkdtempSync(join(tmpdir(), 'billing-prometheus-'));
    writeFileSync(join(dir, 'rules.yml'), options.rules);
    writeFileSync(
      join(dir, 'prometheus.yml'),
      JSON.stringify({
        global: { scrape_interval: `${options.intervalSeconds}s`, evaluation_interval: `${options.intervalSeconds}s` },
        rule_files: ['rules.yml'],
        scrape_configs: [{ job_name: 'billing-service', static_configs: [{ targets: options.targets }] }],
      }),
    );
    const port = await freePort();
    const log = openSync(join(dir, 'prometheus.log'), 'w');
    const args = [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`];
    const child = spawn('prometheus', args, { stdio: ['ignore', log, log] });
    const prometheus = new TestPrometheus(child, dir, `http://127.0.0.1:${port}`);
    try {
      await waitFor(() => prometheus.ready(), 20_000, 'Prometheus to be ready');
    } catch (error) {
      await prometheus.stop(false);
      throw new Error(`${(error as Error).message}\n${readFileSync(join(dir, 'prometheus.log'), 'utf8')}`);
    }
    return prometheus;
  }

  private async ready(): Promise<boolean> {
    if (this.child.exitCode !== null) throw new Error(`prometheus exited with code ${this.child.exitCode}`);
    return (await fetch(`${this.url}/-/ready`).catch(() => undefined))?.ok ?? false;
  }

  private async api<T>(path: string, params: Record<string, string> = {}): Promise<T> {
    const response = await fetch(`${this.url}/api/v1/${path}?${new URLSearchParams(params).toString()}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${path} ${JSON.stringify(params)}: ${body.error}`);
    return body.data;
  }

  async query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    return (await this.api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>('query', { query: expr })).result;
  }

  async queryRange(expr: string, start: number, end: number, step: number): Promise<PromSeries[]> {
    const params = { query: expr, start: String(start), end: String(end), step: String(step) };
    return (await this.api<{ result: PromSeries[] }>('query_range', params)).result;
  }

  async alerts(name: string): Promise<PromAlert[]> {
    return (await this.api<{ alerts: PromAlert[] }>('alerts')).alerts.filter((a) => a.labels.alertname === name);
  }

  /** The rule's own state: inactive once its expression stopped matching. */
  async ruleState(name: string): Promise<string | undefined> {
    const { groups } = await this.api<{ groups: { rules: { name: string; state?: string }[] }[] }>('rules', { type: 'alert' });
    return groups.flatMap((g) => g.rules).find((r) => r.name === name)?.state;
  }

  /**
   * Waits until the rule was evaluated after `seconds` (Unix time): the alerts API answers from the last evaluation,
   * which may predate the samples a query just saw.
   */
  async evaluatedAfter(name: string, seconds: number): Promise<void> {
    await waitFor(
      async () => {
        const { groups } = await this.api<{ groups: { rules: { name: string; lastEvaluation: string }[] }[] }>('rules', { type: 'alert' });
        const rule = groups.flatMap((g) => g.rules).find((r) => r.name === name);
        return rule !== undefined && Date.parse(rule.lastEvaluation) / 1000 > seconds;
      },
      10_000,
      `${name} evaluated again`,
    );
  }

  async stop(removeData = true): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = once(this.child, 'exit');
      this.child.kill('SIGTERM');
      await exited;
    }
    if (removeData) rmSync(this.dir, { recursive: true, force: true });
  }
}
