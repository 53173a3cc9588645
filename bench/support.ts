import { readFileSync } from 'node:fs';
import { TestDatabase } from '../test/support/fixture';

/** The number after --name on a bench's command line, or the fallback. */
export function numberOption(argv: string[], name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Percentiles of the announcement lag over a run's outbox rows. */
export interface AnnouncementLag {
  rows: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface Throughput {
  events: number;
  seconds: number;
  perSecond: number;
}

/**
 * Samples `count` (the invoices so far) until it reaches `expected` and measures from the first sample that saw
 * progress to the one that saw the end: boot and group join are not counted, only sustained work.
 */
export async function measureUntilCount(
  count: () => Promise<number>,
  expected: number,
  timeoutMs: number,
  alive: () => boolean,
  window?: MeasuredWindow,
): Promise<Throughput> {
  const deadline = Date.now() + timeoutMs;
  let first: { t: number; n: number } | undefined;
  for (;;) {
    const n = await count();
    const t = performance.now();
    if (n > 0 && !first) {
      first = { t, n };
      await window?.start(n);
    }
    if (n >= expected && first) {
      await window?.end(n);
      const seconds = (t - first.t) / 1000;
      return { events: n - first.n, seconds, perSecond: (n - first.n) / seconds };
    }
    if (Date.now() > deadline) throw new Error(`timed out with ${n} of ${expected} invoices`);
    if (!alive()) throw new Error(`the consumer process exited with ${n} of ${expected} invoices`);
    await sleep(250);
  }
}

/** Called with the invoice count when the measured window opens (first invoice seen) and closes. */
export interface MeasuredWindow {
  start(invoices: number): Promise<void>;
  end(invoices: number): Promise<void>;
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
  /** Invoices written in the window (the count when it closed minus the count when it opened). */
  events: number;
  /** CPU seconds of the consumer processes. */
  nodeSeconds: number;
  /** CPU seconds of the PostgreSQL client backends connected to the variant's database (the bench's own excluded). */
  pgBackendSeconds: number;
  /**
   * CPU seconds of PostgreSQL's WAL writer, checkpointer and background writer (shared with other databases) and of
   * autovacuum workers on the variant's database.
   */
  pgBackgroundSeconds: number;
  /** CPU seconds of everything on the machine, other users' work included. */
  machineSeconds: number;
  /** WAL written by the whole cluster meanwhile, in bytes. */
  walBytes: number;
}

/** A CpuShare per event of its window: the node_us, pg_us, pg_bg_us and wal_b of the bench line. */
export interface PerEvent {
  nodeUs: number;
  pgUs: number;
  pgBackgroundUs: number;
  walBytes: number;
}

export function perEvent(cpu: CpuShare): PerEvent {
  const each = (total: number) => total / cpu.events;
  return {
    nodeUs: each(cpu.nodeSeconds) * 1e6,
    pgUs: each(cpu.pgBackendSeconds) * 1e6,
    pgBackgroundUs: each(cpu.pgBackgroundSeconds) * 1e6,
    walBytes: each(cpu.walBytes),
  };
}

/** A query on the measured database; its own backend is never counted. */
export type Query = <T>(sql: string, params?: unknown[]) => Promise<T[]>;

/**
 * CPU and WAL of one measured window: the given Node processes against the database's client backends and the
 * machine. Processes are read when the window opens and closes, so one that starts and ends inside it (a parallel
 * worker, a short-lived connection) is not seen; a backend first seen at the close counts whole.
 */
export class CpuMeter implements MeasuredWindow {
  private started?: { at: number; events: number; node: number; pg: Map<number, number>; bg: Map<number, number>; machine: number; lsn: string };
  result?: CpuShare;

  constructor(
    private readonly query: Query,
    private readonly nodePids: () => number[],
  ) {}

  async start(invoices: number): Promise<void> {
    const pids = await this.postgresPids();
    this.started = {
      at: performance.now(),
      events: invoices,
      node: sum(this.nodePids().map(cpuSecondsOf)),
      pg: cpuOf(pids.backends),
      bg: cpuOf(pids.background),
      machine: machineBusySeconds(),
      lsn: (await this.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn'))[0].lsn,
    };
  }

  async end(invoices: number): Promise<void> {
    const from = this.started;
    if (!from) return;
    const pids = await this.postgresPids();
    const [{ bytes }] = await this.query<{ bytes: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::text AS bytes', [from.lsn]);
    const since = (pids: number[], before: Map<number, number>) => sum(pids.map((pid) => cpuSecondsOf(pid) - (before.get(pid) ?? 0)));
    this.result = {
      wallSeconds: (performance.now() - from.at) / 1000,
      events: invoices - from.events,
      nodeSeconds: sum(this.nodePids().map(cpuSecondsOf)) - from.node,
      pgBackendSeconds: since(pids.backends, from.pg),
      pgBackgroundSeconds: since(pids.background, from.bg),
      machineSeconds: machineBusySeconds() - from.machine,
      walBytes: Number(bytes),
    };
  }

  /** The database's client backends but the meter's own and the bench's pool (it samples the count meanwhile). */
  private async postgresPids(): Promise<{ backends: number[]; background: number[] }> {
    const rows = await this.query<{ pid: number; kind: string }>(
      `SELECT pid, CASE WHEN backend_type = 'client backend' THEN 'backend' ELSE 'background' END AS kind FROM pg_stat_activity
       WHERE (datname = current_database() AND backend_type = 'client backend' AND application_name <> $1 AND pid <> pg_backend_pid())
          OR (datname = current_database() AND backend_type = 'autovacuum worker')
          OR backend_type IN ('walwriter', 'checkpointer', 'background writer')`,
      [TestDatabase.APPLICATION_NAME],
    );
    return { backends: rows.filter((r) => r.kind === 'backend').map((r) => r.pid), background: rows.filter((r) => r.kind === 'background').map((r) => r.pid) };
  }
}

const cpuOf = (pids: number[]) => new Map(pids.map((pid) => [pid, cpuSecondsOf(pid)]));
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
