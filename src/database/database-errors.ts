import { RejectedByDatabaseError } from '../common/errors';

/**
 * Data errors: the statement fails the same way on every retry. Class 22 (data exception), class 23
 * (integrity violation: the unique keys the claim and the invoice expect are handled with ON CONFLICT, so
 * any that still surfaces is about this data), and 54000 (e.g. an index row larger than a page).
 */
const DETERMINISTIC = [/^22/, /^23/, /^54000$/];

/** The SQLSTATE of an error raised by PostgreSQL (pg puts it on the error, TypeORM on its driverError). */
export function sqlStateOf(error: unknown): string | undefined {
  const candidate = (error as { driverError?: { code?: unknown }; code?: unknown } | null) ?? undefined;
  const code = candidate?.driverError?.code ?? candidate?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * Turns a database error that will fail again on every retry into RejectedByDatabaseError; every other
 * error (connection lost, shutdown, deadlock, serialization failure, lock or statement timeout) is
 * returned unchanged, to be retried.
 */
export function judgeDatabaseError(error: unknown): unknown {
  const sqlstate = sqlStateOf(error);
  if (sqlstate === undefined || !DETERMINISTIC.some((pattern) => pattern.test(sqlstate))) return error;
  return new RejectedByDatabaseError(sqlstate, (error as Error).message);
}
