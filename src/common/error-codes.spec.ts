import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseUnavailableError } from '../database/database-errors';
import { ClaimRaceError } from '../idempotency/processed-events.repository';
import { IncompleteSendError } from '../kafka/complete-send';
import { ERROR_CODES, ErrorCode } from './error-codes';
import { EventConflictError, InvalidRequestError, PoisonMessageError, PoisonReason, RejectedByDatabaseError } from './errors';

const codes = Object.keys(ERROR_CODES) as ErrorCode[];
/** A Record so that the compiler fails this spec when a reason is added without being listed here. */
const POISON_REASONS: Record<PoisonReason, true> = {
  invalid_encoding: true,
  invalid_json: true,
  invalid_payload: true,
  conflict: true,
  rejected_by_database: true,
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Every `readonly code = '...'` in src/, and the codes PoisonMessageError builds from its reasons. */
function declaredCodes(): string[] {
  const literals = sourceFiles(join(__dirname, '..')).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/readonly code = '([^']+)'/g)].map((m) => m[1]),
  );
  return [...literals, ...Object.keys(POISON_REASONS).map((reason) => `event.${reason}`)];
}

describe('ERROR_CODES', () => {
  it.each(codes)('declares %s with retriable, whether HTTP shows it, and a description', (code) => {
    const spec = ERROR_CODES[code];
    expect(typeof spec.retriable).toBe('boolean');
    expect(typeof spec.http).toBe('boolean');
    expect(spec.description.length).toBeGreaterThan(10);
    expect(code).toMatch(/^[a-z_]+\.[a-z_]+$/);
  });

  it('holds every code an error class in src/ declares, and no code that none declares', () => {
    const declared = declaredCodes();
    expect(declared.filter((code) => !(code in ERROR_CODES))).toEqual([]);
    expect(codes.filter((code) => !declared.includes(code))).toEqual([]);
  });

  it('calls poison not retriable, whatever its reason', () => {
    for (const reason of Object.keys(POISON_REASONS) as PoisonReason[])
      expect({ reason, retriable: new PoisonMessageError(reason, 'x').retriable }).toEqual({ reason, retriable: false });
    expect(new EventConflictError('e-1').retriable).toBe(false);
    expect(new RejectedByDatabaseError('23505', 'duplicate key').retriable).toBe(false);
  });

  it('calls the transient faults of the database and of Kafka retriable', () => {
    expect(new DatabaseUnavailableError('57P01').retriable).toBe(true);
    expect(new IncompleteSendError('partition 3 unwritten').retriable).toBe(true);
    expect(new ClaimRaceError('claim vanished').retriable).toBe(true);
  });

  it('gives an error its code, its class name and its retriable flag from the registry', () => {
    const error = new InvalidRequestError('bad cursor', { cursor: 'x' });
    expect(error).toMatchObject({ code: 'request.invalid', name: 'InvalidRequestError', retriable: false, message: 'bad cursor', details: { cursor: 'x' } });
    expect(new PoisonMessageError('invalid_json', 'not JSON')).toMatchObject({ code: 'event.invalid_json', reason: 'invalid_json' });
  });
});
