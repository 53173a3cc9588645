import pino from 'pino';
import { DatabaseConfig } from '../config/configuration';
import { BoundedPgClient } from '../database/bounded-pg-client';
import { SilenceWatchdog } from './silence-watchdog';

/** A client that never connects, made to look as if it awaited an answer since `waitingSince`. */
function waitingClient(pid: number, waitingSince: number | undefined, createdAt = 0): BoundedPgClient {
  const client = new BoundedPgClient({ host: '127.0.0.1', port: 5432, database: 'billing' });
  Object.assign(client, { processID: pid, waitingSinceMs: waitingSince, createdAt });
  jest.spyOn(client, 'drop').mockImplementation(() => BoundedPgClient.open.delete(client));
  return client;
}

class ScriptedWatchdog extends SilenceWatchdog {
  working = new Set<number>();
  terminated: number[][] = [];

  protected override probe(): Promise<Set<number>> {
    return Promise.resolve(this.working);
  }

  protected override terminate(pids: number[]): Promise<void> {
    this.terminated.push(pids);
    return Promise.resolve();
  }
}

describe('SilenceWatchdog', () => {
  const config = new DatabaseConfig({
    url: 'postgres://postgres@127.0.0.1:5432/billing',
    statementTimeoutMs: 30_000,
    lockTimeoutMs: 10_000,
    queryTimeoutMs: 35_000,
    connectTimeoutMs: 10_000,
    keepAliveInitialDelayMs: 10_000,
    idleInTransactionTimeoutMs: 60_000,
    silenceCheckAfterMs: 5_000,
  });
  const now = 1_000_000;
  let watchdog: ScriptedWatchdog;

  beforeEach(() => {
    BoundedPgClient.open.clear();
    watchdog = new ScriptedWatchdog(config, pino({ enabled: false }));
  });

  it('drops a connection whose backend is idle on two probes during the same wait, with the idle ones opened before it, and ends their sessions', async () => {
    const silent = waitingClient(101, now - 6_000, 10);
    const idleOlder = waitingClient(102, undefined, 20);
    const idleNewer = waitingClient(103, undefined, now - 1_000);
    await watchdog.check(now);
    expect(silent.drop).not.toHaveBeenCalled();
    expect(watchdog.suspected()).toBe(1);
    await watchdog.check(now + 1_000);
    expect(silent.drop).toHaveBeenCalled();
    expect(idleOlder.drop).toHaveBeenCalled();
    expect(idleNewer.drop).not.toHaveBeenCalled();
    expect(watchdog.terminated).toEqual([[101, 102]]);
    expect(watchdog.suspected()).toBe(0);
  });

  it('leaves alone older connections lent out between statements (a transaction holding locks), and never ends a pid a live connection holds', async () => {
    const silent = waitingClient(501, now - 6_000, 10);
    const inTransaction = waitingClient(502, undefined, 20);
    const released = waitingClient(503, undefined, 30);
    const samePidElsewhere = waitingClient(501, undefined, now - 1_000);
    const release = jest.fn();
    Object.assign(inTransaction, { release }); // as pg-pool lends a client
    Object.assign(released, { release });
    released.release!();
    await watchdog.check(now);
    await watchdog.check(now + 1_000);
    expect(silent.drop).toHaveBeenCalled();
    expect(inTransaction.drop).not.toHaveBeenCalled();
    expect(released.drop).toHaveBeenCalled();
    expect(samePidElsewhere.drop).not.toHaveBeenCalled();
    expect(watchdog.terminated).toEqual([[503]]);
    inTransaction.release!();
    expect(release).toHaveBeenCalledTimes(2);
    expect(inTransaction.checkedOut).toBe(false);
  });

  it('leaves alone a connection whose backend is running the statement, or that is not waiting long', async () => {
    const slow = waitingClient(201, now - 60_000);
    const recent = waitingClient(202, now - 1_000);
    watchdog.working = new Set([201]);
    for (const at of [now, now + 1_000, now + 2_000]) await watchdog.check(at);
    expect(slow.drop).not.toHaveBeenCalled();
    expect(recent.drop).not.toHaveBeenCalled();
  });

  it('starts over when an answer came between two probes (a new wait is not the same silence)', async () => {
    const client = waitingClient(301, now - 6_000);
    await watchdog.check(now);
    Object.assign(client, { waitingSinceMs: now - 5_500 });
    await watchdog.check(now + 1_000);
    expect(client.drop).not.toHaveBeenCalled();
  });

  it('proves nothing when the probe itself fails', async () => {
    const client = waitingClient(401, now - 6_000);
    Object.assign(watchdog, { probe: () => Promise.reject(new Error('connect timeout')) });
    for (const at of [now, now + 1_000, now + 2_000]) await watchdog.check(at);
    expect(client.drop).not.toHaveBeenCalled();
  });

  it('is off at 0', () => {
    const off = new ScriptedWatchdog(new DatabaseConfig({ ...config, url: 'postgres://x@127.0.0.1/b', silenceCheckAfterMs: 0 }), pino({ enabled: false }));
    off.onApplicationBootstrap();
    expect((off as unknown as { timer?: unknown }).timer).toBeUndefined();
  });
});

describe('BoundedPgClient', () => {
  it('a query refused before it is sent leaves nothing awaited', () => {
    const client = new BoundedPgClient();
    expect(() => {
      client.query(null);
    }).toThrow(TypeError);
    expect(client.waitingSince).toBeUndefined();
  });
});
