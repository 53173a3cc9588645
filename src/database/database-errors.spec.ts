import { QueryFailedError } from 'typeorm';
import { RejectedByDatabaseError } from '../common/errors';
import { DatabaseUnavailableError, judgeDatabaseError, unavailableDatabaseOf } from './database-errors';

const pgError = (code: string, message = `pg ${code}`) => Object.assign(new Error(message), { code });
const queryFailed = (code: string) => new QueryFailedError('SELECT 1', [], pgError(code));

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
  ])('calls %s a fault that passes, with a Retry-After', (_what, error) => {
    expect(unavailableDatabaseOf(error)).toMatchObject({ httpStatus: 503, code: 'database.unavailable', retryAfterSeconds: 2 });
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
