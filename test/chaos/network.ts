// The chaos suite's network: a fault proxy in front of each broker and of PostgreSQL (the service reaches them only
// through these), and the clock of each fault's recovery.
import pg from 'pg';
import { DATABASE_URL, KAFKA_NODES, PG_PORT, PG_PROXY_PORT } from '../../infra/chaos.ts';
import { errorMessage, sleep } from '../../infra/common.ts';
import { FaultProxy } from '../support/standalone/fault-proxy.ts';
import { type Progress, ProgressSince } from '../support/standalone/recovery-progress.ts';

/** A recovery slower than this after its fault cleared fails the suite. */
export const MAX_RECOVERY_MS = 30_000;

export interface Proxies {
  brokers: Map<number, FaultProxy>;
  postgres: FaultProxy;
  closeAll(): Promise<unknown>;
}

export async function startProxies(lifetimeMs: number): Promise<Proxies> {
  const start = (listenPort: number, port: number): Promise<FaultProxy> =>
    FaultProxy.start({ target: { host: '127.0.0.1', port }, listenPort, maxLifetimeMs: lifetimeMs });
  const brokers = new Map<number, FaultProxy>();
  for (const n of KAFKA_NODES) brokers.set(n.id, await start(n.advertisedPort, n.brokerPort));
  const postgres = await start(PG_PROXY_PORT, PG_PORT);
  return { brokers, postgres, closeAll: () => Promise.all([...brokers.values(), postgres].map((p) => p.close())) };
}

async function progress(db: pg.Pool): Promise<Progress> {
  const { rows } = await db.query<Progress>(
    `select (select count(*) from invoices)::int as invoices,
            ((select count(*) from invoice_outbox) - (select count(*) from invoice_outbox_pending))::int as announced,
            (select count(*) from invoice_outbox_pending)::int as pending`,
  );
  return rows[0];
}

/**
 * Recovery of a fault: from the moment it cleared until invoicing moved on and the outbox announced again (or had
 * nothing left to announce), watched by the suite's own connection to PostgreSQL. Faults overlap in the schedule:
 * the clock runs from the later of the fault's clearing and the moment no fault was in progress any more (a
 * rolling restart is one fault for its whole length), since the service is from then on recovering from all of them.
 */
export class RecoveryClock {
  recoveries: { fault: string; seconds: number }[] = [];
  watching = new Set<Promise<void>>();
  lastQuietAt = 0;
  active = 0;

  private readonly log: (message: string) => void;
  private readonly expectedInvoices: number;
  private readonly db: pg.Pool;

  constructor(log: (message: string) => void, expectedInvoices: number) {
    this.log = log;
    this.expectedInvoices = expectedInvoices;
    this.db = new pg.Pool({ connectionString: DATABASE_URL, max: 4, connectionTimeoutMillis: 5_000, query_timeout: 5_000 });
    this.db.on('error', () => {});
  }

  injected(): void {
    this.active++;
  }

  cleared(fault: string): void {
    const clearedAt = Date.now();
    this.active = Math.max(0, this.active - 1);
    if (this.active === 0) this.lastQuietAt = clearedAt;
    const watch = this.watch(fault, clearedAt).catch((error: unknown) => this.log(`recovery of ${fault} not measured: ${errorMessage(error)}`));
    this.watching.add(watch);
    void watch.finally(() => this.watching.delete(watch));
  }

  async watch(fault: string, clearedAt: number): Promise<void> {
    let base: Progress | undefined;
    while (!base) base = await progress(this.db).catch(() => sleep(500).then(() => undefined));
    const since = new ProgressSince(base, this.expectedInvoices);
    for (;;) {
      await sleep(500);
      const now = await progress(this.db).catch(() => undefined);
      if (!now) continue;
      const seconds = this.active > 0 ? 0 : (Date.now() - Math.max(clearedAt, this.lastQuietAt)) / 1000;
      if (since.movedOn(now) || (Date.now() - clearedAt) / 1000 > 180) {
        this.recoveries.push({ fault, seconds });
        this.log(`recovered from ${fault} in ${seconds.toFixed(1)} s`);
        return;
      }
    }
  }

  async settled(): Promise<void> {
    while (this.watching.size) await Promise.all(this.watching);
    await this.db.end().catch(() => {});
  }

  get maxSeconds(): number {
    return Math.max(0, ...this.recoveries.map((r) => r.seconds));
  }
}
