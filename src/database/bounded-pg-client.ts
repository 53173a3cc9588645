import type { Socket } from 'node:net';
import { Client, ClientConfig } from 'pg';

/** The error node-postgres rejects a query with once `query_timeout` passed without an answer. */
export const READ_TIMEOUT_MESSAGE = 'Query read timeout';

/** Connections dropped because PostgreSQL did not answer on them; read by the health check. */
export class SilentConnections {
  private static dropped = 0;
  private static lastDropAt: number | undefined;

  static record(now = Date.now()): void {
    this.dropped++;
    this.lastDropAt = now;
  }

  static total(): number {
    return this.dropped;
  }

  /** When the last one was dropped (ms since the epoch), if ever. */
  static lastDroppedAt(): number | undefined {
    return this.lastDropAt;
  }
}

type Callback = (error: Error | null, result?: unknown) => void;

/**
 * node-postgres' `query_timeout` rejects the query but keeps the connection: the answer is still awaited, every
 * later query queues behind it, and TypeORM releases it to the pool without an error, so the pool hands the silent
 * connection out again. This client drops its connection on that timeout instead: its queries fail at once, the
 * pool discards it (it is no longer queryable), and PostgreSQL rolls back what the session left open. It also says
 * how long it has been waiting for an answer, for the SilenceWatchdog.
 */
export class BoundedPgClient extends Client {
  /** Every client of this process whose connection has not ended. */
  static readonly open = new Set<BoundedPgClient>();
  readonly createdAt = Date.now();
  private outstanding = 0;
  private waitingSinceMs: number | undefined;
  private releaseToPool?: (error?: Error | boolean) => void;

  constructor(config?: string | ClientConfig) {
    super(config);
    BoundedPgClient.open.add(this);
    this.once('end', () => BoundedPgClient.open.delete(this));
    // Bytes arriving (a large result still streaming in) mean the connection is not silent, however long it takes.
    this.once('connect', () => this.socket()?.on('data', () => this.heard()));
  }

  /** Since when it has awaited an answer without receiving a byte (ms since the epoch); undefined when it awaits none. */
  get waitingSince(): number | undefined {
    return this.waitingSinceMs;
  }

  /** Lent out by a pool and not given back: between its statements the session may hold a transaction and its locks. */
  get checkedOut(): boolean {
    return this.releaseToPool !== undefined;
  }

  // pg-pool lends a client by setting `release` on it, and takes it back when that is called (its documented API).
  get release(): ((error?: Error | boolean) => void) | undefined {
    return this.releaseToPool;
  }

  set release(release: ((error?: Error | boolean) => void) | undefined) {
    this.releaseToPool =
      release &&
      ((error) => {
        this.releaseToPool = undefined;
        release(error);
      });
  }

  /** The server process of this session, as PostgreSQL announced it at startup. */
  get backendPid(): number | undefined {
    const pid = (this as unknown as { processID?: unknown }).processID;
    return typeof pid === 'number' ? pid : undefined;
  }

  // The overloads of Client.query are many; the arguments pass through unchanged.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: unknown[]): any {
    const last = args.length - 1;
    const callback = typeof args[last] === 'function' ? (args[last] as Callback) : undefined;
    if (callback) args[last] = (error: Error | null, result?: unknown) => callback(this.answered(error), result);
    this.asked();
    let result: unknown;
    try {
      result = (super.query as (...a: unknown[]) => unknown)(...args);
    } catch (error) {
      this.answered(null); // refused before it was sent (a bad argument): nothing is awaited
      throw error;
    }
    if (result instanceof Promise) {
      result.then(
        () => this.answered(null),
        (error: unknown) => this.answered(error),
      );
    } else if (!callback) {
      this.answered(null); // a submittable (a cursor, a stream) reports through itself: not watched
    }
    return result;
  }

  /** Same server and database: a fault on the path to one is a fault on the path to the other. */
  sharesServerWith(other: Client): boolean {
    return this.host === other.host && this.port === other.port && this.database === other.database;
  }

  /**
   * Drops the connection without a goodbye (a silent peer would never answer one). Marked unqueryable at once, which
   * is what the pool checks when it is released; once the socket is closed, an idle one leaves the pool by its error.
   */
  drop(): void {
    const stream = this.socket();
    if (!stream || stream.destroyed) return;
    SilentConnections.record();
    (this as unknown as { _queryable: boolean })._queryable = false;
    stream.destroy();
  }

  private socket(): Socket | undefined {
    return (this.connection as unknown as { stream?: Socket }).stream;
  }

  private heard(): void {
    if (this.outstanding > 0) this.waitingSinceMs = Date.now();
  }

  private asked(): void {
    if (this.outstanding++ === 0) this.waitingSinceMs = Date.now();
  }

  private answered<E>(error: E): E {
    this.outstanding = Math.max(0, this.outstanding - 1);
    this.waitingSinceMs = this.outstanding > 0 ? Date.now() : undefined;
    if (error instanceof Error && error.message === READ_TIMEOUT_MESSAGE) this.drop();
    return error;
  }
}
