import { DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { RejectedByDatabaseError } from '../common/errors';
import { READ_TIMEOUT_MESSAGE } from './bounded-pg-client';
import { DatabaseUnavailableError, judgeDatabaseError, sqlStateOf, unavailableDatabaseOf } from './database-errors';

/** What pg rejects with when PostgreSQL answers an ErrorResponse. */
const pgError = (code: string, message = `pg ${code}`) => Object.assign(new DatabaseError(message, 0, 'error'), { code });
const queryFailed = (code: string) => new QueryFailedError('SELECT 1', [], pgError(code));
/** What pg rejects with when the socket fails: a Node system error, its code is no SQLSTATE. */
const socketError = (code: string) => Object.assign(new Error(`write ${code}`), { code, errno: -32, syscall: 'write' });

describe('unavailableDatabaseOf', () => {
  it.each([['55P03'], ['57014'], ['40001'], ['40P01'], ['53300'], ['08006'], ['57P01'], ['57P03']])('calls SQLSTATE %s a fault that passes', (code) => {
    expect(unavailableDatabaseOf(queryFailed(code))).toBeInstanceOf(DatabaseUnavailableError);
    expect(unavailableDatabaseOf(pgError(code))?.sqlstate).toBe(code);
  });

  it.each([
    ['an exhausted pool', new Error('timeout exceeded when trying to connect')],
    ['a connect timeout', new Error('Connection terminated due to connection timeout')],
    ['a dropped connection', new Error('Connection terminated unexpectedly')],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
  ])('calls %s a fault that passes (retriable; HTTP answers 503 with Retry-After, see the filter spec)', (_what, error) => {
    expect(unavailableDatabaseOf(error)).toMatchObject({ retriable: true, code: 'database.unavailable' });
  });

  it.each([
    ['a broken pipe', socketError('EPIPE')],
    ['a reset connection', socketError('ECONNRESET')],
    ['a broken pipe under TypeORM', new QueryFailedError('SELECT 1', [], socketError('EPIPE'))],
    ['a query read timeout (query_timeout)', new Error(READ_TIMEOUT_MESSAGE)],
    ['a query read timeout under TypeORM', new QueryFailedError('SELECT 1', [], new Error(READ_TIMEOUT_MESSAGE))],
    ['a query on a dropped connection', new Error('Client has encountered a connection error and is not queryable')],
    ['a query on a closed connection', new QueryFailedError('SELECT 1', [], new Error('Client was closed and is not queryable'))],
  ])('calls %s a fault that passes (retriable), and never data the consumer dead-letters', (_what, error) => {
    expect(unavailableDatabaseOf(error)).toMatchObject({ retriable: true, code: 'database.unavailable', sqlstate: undefined });
    expect(judgeDatabaseError(error)).toBe(error);
  });

  it('reads a SQLSTATE only from a pg DatabaseError', () => {
    expect(sqlStateOf(socketError('EPIPE'))).toBeUndefined();
    expect(sqlStateOf(Object.assign(new Error('not from the server'), { code: '23505' }))).toBeUndefined();
    expect(sqlStateOf(queryFailed('23505'))).toBe('23505');
    expect(sqlStateOf(pgError('40P01'))).toBe('40P01');
  });

  it('does not take a message that only starts like a read timeout for one', () => {
    expect(unavailableDatabaseOf(new Error(`${READ_TIMEOUT_MESSAGE} of the report is 5 s`))).toBeUndefined();
  });

  it.each([['22P02'], ['23505'], ['42P01'], ['XX000']])('leaves SQLSTATE %s alone', (code) => {
    expect(unavailableDatabaseOf(queryFailed(code))).toBeUndefined();
  });

  it('leaves errors that are not the database alone, and a data error to judgeDatabaseError', () => {
    expect(unavailableDatabaseOf(new Error('boom'))).toBeUndefined();
    expect(unavailableDatabaseOf(null)).toBeUndefined();
    expect(judgeDatabaseError(queryFailed('22P02'))).toBeInstanceOf(RejectedByDatabaseError);
  });
});

describe('judgeDatabaseError', () => {
  it.each([['22P02'], ['22001'], ['23505'], ['23514'], ['54000']])('calls SQLSTATE %s data that fails on every retry: poison, not retriable', (code) => {
    const judged = judgeDatabaseError(queryFailed(code));
    expect(judged).toBeInstanceOf(RejectedByDatabaseError);
    expect(judged).toMatchObject({ code: 'event.rejected_by_database', reason: 'rejected_by_database', sqlstate: code, retriable: false });
  });

  it.each([['55P03'], ['57014'], ['40001'], ['40P01'], ['08006'], ['57P01'], ['42P01'], ['XX000'], ['54001']])(
    'returns SQLSTATE %s unchanged, to be retried',
    (code) => {
      const error = queryFailed(code);
      expect(judgeDatabaseError(error)).toBe(error);
    },
  );

  it('never takes a socket error whose code looks like a data class for data', () => {
    const error = Object.assign(new Error('not from the server'), { code: '23505' });
    expect(judgeDatabaseError(error)).toBe(error);
    const brokenPipe = socketError('EPIPE');
    expect(judgeDatabaseError(brokenPipe)).toBe(brokenPipe);
  });
});
