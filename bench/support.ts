import { readFileSync } from 'node:fs';
import { TestDatabase } from '../test/support/fixture';

/** The number after --name on a bench's command line, or the fallback. */
export function numberOption(argv: string[], name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Throughput {
  events: number;
  seconds: number;
  perSecond: number;
}

/**
 * Samples the invoice count until it reaches `expected` and measures from the first sample that saw
 * progress to the one that saw the end: boot and group join are not counted, only sustained work.
 */
export async function measureUntilCount(
  db: TestDatabase,
  expected: number,
  timeoutMs: number,
  alive: () => boolean,
  window?: MeasuredWindow,
): Promise<Throughput> {
  const deadline = Date.now() + timeoutMs;
  let first: { t: number; n: number } | undefined;
  for (;;) {
    const n = await db.count('invoices');
    const t = performance.now();
    if (n > 0 && !first) {
      first = { t, n };
      await window?.start();
    }
    if (n >= expected && first) {
      await window?.end();
      const seconds = (t - first.t) / 1000;
      return { events: n - first.n, seconds, perSecond: (n - first.n) / seconds };
    }
    if (Date.now() > deadline) throw new Error(`timed out with ${n} of ${expected} invoices`);
    if (!alive()) throw new Error(`the consumer process exited with ${n} of ${expected} invoices`);
    await sleep(250);
  }
}

/** Called when the measured window opens (first invoice seen) and closes (all seen). */
export interface MeasuredWindow {
  start(): Promise<void>;
  end(): Promise<void>;
}

const TICKS_PER_SECOND = 100;

/** User + system CPU seconds of a process (all its threads) so far; 0 once it is gone. */
export function cpuSecondsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Busy CPU seconds of the whole machine (every core, every process) so far. */
export function machineBusySeconds(): number {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}

export interface CpuShare {
  wallSeconds: number;
  /** CPU seconds of the consumer processes. */
  nodeSeconds: number;
  /** CPU seconds of the PostgreSQL backends connected to the variant's database. */
  pgBackendSeconds: number;
  /** CPU seconds of PostgreSQL's WAL writer, checkpointer and background writer (shared with other databases). */
  pgBackgroundSeconds: number;
  /** CPU seconds of everything on the machine, other users' work included. */
  machineSeconds: number;
  /** WAL written by the whole cluster meanwhile, in bytes. */
  walBytes: number;
}

/** CPU and WAL of one measured window: consumer processes against the database's backends and the machine. */
export class CpuMeter implements MeasuredWindow {
  private started?: { at: number; node: number; pg: Map<number, number>; bg: number; machine: number; lsn: string };
  result?: CpuShare;

  constructor(
    private readonly db: TestDatabase,
    private readonly nodePids: () => number[],
  ) {}

  async start(): Promise<void> {
    const pids = await this.postgresPids();
    this.started = {
      at: performance.now(),
      node: sum(this.nodePids().map(cpuSecondsOf)),
      pg: new Map(pids.backends.map((pid) => [pid, cpuSecondsOf(pid)])),
      bg: sum(pids.background.map(cpuSecondsOf)),
      machine: machineBusySeconds(),
      lsn: (await this.db.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn'))[0].lsn,
    };
  }

  async end(): Promise<void> {
    const from = this.started;
    if (!from) return;
    const pids = await this.postgresPids();
    const [{ bytes }] = await this.db.query<{ bytes: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::text AS bytes', [from.lsn]);
    this.result = {
      wallSeconds: (performance.now() - from.at) / 1000,
      nodeSeconds: sum(this.nodePids().map(cpuSecondsOf)) - from.node,
      pgBackendSeconds: sum(pids.backends.map((pid) => cpuSecondsOf(pid) - (from.pg.get(pid) ?? 0))),
      pgBackgroundSeconds: sum(pids.background.map(cpuSecondsOf)) - from.bg,
      machineSeconds: machineBusySeconds() - from.machine,
      walBytes: Number(bytes),
    };
  }

  /** The consumers' backends on the database, without the bench's own pool (it samples the count meanwhile). */
  private async postgresPids(): Promise<{ backends: number[]; background: number[] }> {
    const rows = await this.db.query<{ pid: number; kind: string }>(
      `SELECT pid, CASE WHEN datname = current_database() THEN 'backend' ELSE 'background' END AS kind FROM pg_stat_activity
       WHERE (datname = current_database() AND application_name <> $1) OR backend_type IN ('walwriter', 'checkpointer', 'background writer')`,
      [TestDatabase.APPLICATION_NAME],
    );
    return { backends: rows.filter((r) => r.kind === 'backend').map((r) => r.pid), background: rows.filter((r) => r.kind === 'background').map((r) => r.pid) };
  }
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
