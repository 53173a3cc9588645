import { DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { IncompleteSendError } from '../kafka/complete-send';
import { EventConflictError, InvalidRequestError, PoisonMessageError, RejectedByDatabaseError } from '../common/errors';
import { DatabaseUnavailableError, judgeDatabaseError } from '../database/database-errors';
import { ClaimRaceError } from '../idempotency/processed-events.repository';
import { mustDeadLetter } from './kafka-fate';

const queryFailed = (code: string) => new QueryFailedError('SELECT 1', [], Object.assign(new DatabaseError(`pg ${code}`, 0, 'error'), { code }));

describe('mustDeadLetter', () => {
  it.each<[string, unknown]>([
    ['bytes that are not UTF-8', new PoisonMessageError('invalid_encoding', 'not UTF-8')],
    ['a value that is not JSON', new PoisonMessageError('invalid_json', 'not JSON')],
    ['an invalid order.completed', new PoisonMessageError('invalid_payload', 'bad total')],
    ['a conflicting event', new EventConflictError('e-1')],
    ['data PostgreSQL refuses', new RejectedByDatabaseError('22P02', 'invalid input syntax')],
    ['data PostgreSQL refuses, as judged', judgeDatabaseError(queryFailed('23505'))],
  ])('dead-letters %s: it fails the same way on every retry', (_what, error) => {
    expect(mustDeadLetter(error)).toBe(true);
  });

  it.each<[string, unknown]>([
    ['a database that is unavailable', new DatabaseUnavailableError('57P01')],
    ['a raw lock timeout', judgeDatabaseError(queryFailed('55P03'))],
    ['a raw deadlock', queryFailed('40P01')],
    ['a Kafka send that left partitions unwritten', new IncompleteSendError('partition 3 unwritten')],
    ['a claim race with a purge', new ClaimRaceError('claim vanished')],
    ['an error nobody classified', new Error('socket hang up')],
    ['a non-retriable error that is not about the message', new InvalidRequestError('a defect, not poison')],
    ['something that is not an Error', 'boom'],
  ])('retries %s', (_what, error) => {
    expect(mustDeadLetter(error)).toBe(false);
  });
});
