import { DatabaseError } from 'pg';
import { BillingError, RejectedByDatabaseError } from '../common/errors';
import { READ_TIMEOUT_MESSAGE } from './bounded-pg-client';

/**
 * Data errors: the statement fails the same way on every retry. Class 22 (data exception), class 23
 * (integrity violation: the unique keys the claim and the invoice expect are handled with ON CONFLICT, so
 * any that still surfaces is about this data), and 54000 (e.g. an index row larger than a page).
 */
const DETERMINISTIC = [/^22/, /^23/, /^54000$/];

/** What pg (or pg-pool) rejected with: the error itself, or the driverError TypeORM wraps it in. */
function driverErrorOf(error: unknown): unknown {
  return (error as { driverError?: unknown } | null)?.driverError ?? error;
}

/**
 * The SQLSTATE of an error raised by PostgreSQL: only a pg DatabaseError (an ErrorResponse from the server) has
 * one, five characters of [0-9A-Z]. pg puts it on the error, TypeORM on its driverError. A socket error's code
 * (EPIPE, ECONNRESET) is never read as one.
 */
export function sqlStateOf(error: unknown): string | undefined {
  const candidate = driverErrorOf(error);
  if (!(candidate instanceof DatabaseError)) return undefined;
  const { code } = candidate;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * Turns a database error that will fail again on every retry into RejectedByDatabaseError; every other
 * error (connection lost, shutdown, deadlock, serialization failure, lock or statement timeout) is
 * returned unchanged, to be retried.
 */
export function judgeDatabaseError(error: unknown): unknown {
  if (unavailableDatabaseOf(error) !== undefined) return error;
  const sqlstate = sqlStateOf(error);
  if (sqlstate === undefined || !DETERMINISTIC.some((pattern) => pattern.test(sqlstate))) return error;
  return new RejectedByDatabaseError(sqlstate, (error as Error).message);
}

/**
 * Faults that pass without the client changing anything: connection (class 08), serialization failure and
 * deadlock, insufficient resources (class 53), lock timeout (55P03), statement timeout (57014), shutdown (57P01-03).
 */
const PASSING = [/^08/, /^40001$/, /^40P01$/, /^53/, /^55P03$/, /^57014$/, /^57P0[1-3]$/];
/**
 * Raised by pg and pg-pool without a SQLSTATE: no free pooled connection in time, no connection at all, no answer
 * within query_timeout (BoundedPgClient then drops the connection), or a query on a connection already dropped.
 */
const PASSING_WITHOUT_SQLSTATE = new RegExp(
  `^(timeout exceeded when trying to connect|Connection terminated|${READ_TIMEOUT_MESSAGE}$|Client has encountered a connection error and is not queryable|Client was closed and is not queryable)`,
);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);

/** The database is busy or unreachable for now: retriable, by the consumer and by an HTTP client alike. */
export class DatabaseUnavailableError extends BillingError {
  readonly code = 'database.unavailable';

  constructor(readonly sqlstate: string | undefined) {
    super('the database is busy or unreachable; retry later', sqlstate ? { sqlstate } : undefined);
  }
}

/** A DatabaseUnavailableError for a fault that passes by itself (see PASSING), or undefined. */
export function unavailableDatabaseOf(error: unknown): DatabaseUnavailableError | undefined {
  const candidate = driverErrorOf(error);
  const { message, code } = (candidate ?? {}) as { message?: unknown; code?: unknown };
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return new DatabaseUnavailableError(undefined);
  const sqlstate = sqlStateOf(error);
  if (sqlstate !== undefined) return PASSING.some((pattern) => pattern.test(sqlstate)) ? new DatabaseUnavailableError(sqlstate) : undefined;
  return typeof message === 'string' && PASSING_WITHOUT_SQLSTATE.test(message) ? new DatabaseUnavailableError(undefined) : undefined;
}
