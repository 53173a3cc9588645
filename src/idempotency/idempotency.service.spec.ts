import { CommitFaultHook } from '../common/commit-fault-hook';
import { EventConflictError, PoisonMessageError } from '../common/errors';
import { inlineDatabase, InlineDatabase, mockOf } from '../../test/support/builders';
import { InMemoryClaims } from '../../test/support/in-memory-claims';
import { BatchDecision, EventRefusal, IdempotencyService } from './idempotency.service';
import { IdempotentEvent } from './idempotent-event';

const FIRST_PROCESSED = new Date('2026-11-23T10:00:00Z');
const NOW = new Date('2026-11-23T10:00:05Z');

const event = (eventId: string, fingerprint = 'fields-1'): IdempotentEvent => ({ eventId, fingerprint });
const invoiceOf = (events: readonly IdempotentEvent[]) => Promise.resolve(events.map((e) => `invoice-${e.eventId}`));
const refused = new PoisonMessageError('conflict', 'the invoice of this event_id bills other fields');

describe('IdempotencyService', () => {
  let db: InlineDatabase;
  let claims: InMemoryClaims;
  /** What the transactions had done each time the commit-fault hook ran. */
  let hookSaw: string[][];
  let service: IdempotencyService;

  beforeEach(() => {
    db = inlineDatabase();
    claims = new InMemoryClaims(NOW);
    hookSaw = [];
    const commitFault = mockOf(CommitFaultHook, { afterCommit: () => void hookSaw.push([...db.ended]) });
    service = new IdempotencyService(db.transactions, claims.asRepository(), commitFault);
  });

  const alreadyClaimed = (eventId: string, fingerprint: string) => claims.rows.set(eventId, { fingerprint, processedAt: FIRST_PROCESSED });

  it('claims a new event and runs the work for it in one committed transaction', async () => {
    const work = jest.fn(invoiceOf);
    await expect(service.runBatchOnce([event('a')], work)).resolves.toEqual([{ kind: 'processed', result: 'invoice-a' }]);
    expect(work).toHaveBeenCalledWith([event('a')]);
    expect(claims.rows.get('a')).toEqual({ fingerprint: 'fields-1', processedAt: NOW });
    expect(db.ended).toEqual(['commit']);
  });

  it('skips a replay of a claimed event as a duplicate, with when it was first processed, and runs no work', async () => {
    alreadyClaimed('a', 'fields-1');
    const work = jest.fn(invoiceOf);
    await expect(service.runBatchOnce([event('a')], work)).resolves.toEqual([{ kind: 'duplicate', firstProcessedAt: FIRST_PROCESSED }]);
    expect(work).not.toHaveBeenCalled();
  });

  it('rejects a reused event_id whose billing fields differ from the claimed ones as a conflict', async () => {
    alreadyClaimed('a', 'fields-1');
    const [decision] = await service.runBatchOnce([event('a', 'fields-2')], invoiceOf);
    expect(decision).toEqual({ kind: 'rejected', error: expect.any(EventConflictError) });
  });

  it('claims the distinct events of a batch with one statement and works on each first delivery once, deciding in input order', async () => {
    alreadyClaimed('c', 'fields-1');
    const work = jest.fn(invoiceOf);
    const decisions = await service.runBatchOnce([event('a'), event('b'), event('a'), event('c'), event('b', 'fields-2')], work);
    expect(decisions).toEqual<BatchDecision<string>[]>([
      { kind: 'processed', result: 'invoice-a' },
      { kind: 'processed', result: 'invoice-b' },
      { kind: 'duplicate', firstProcessedAt: NOW },
      { kind: 'duplicate', firstProcessedAt: FIRST_PROCESSED },
      { kind: 'rejected', error: expect.any(EventConflictError) },
    ]);
    expect(claims.statements).toBe(1);
    expect(work).toHaveBeenCalledTimes(1);
    expect(work).toHaveBeenCalledWith([event('a'), event('b')]);
  });

  it('releases the claim of an event the work refuses, in the same committed transaction, and rejects it with the refusal', async () => {
    const work = (events: readonly IdempotentEvent[]) => Promise.resolve(events.map((e) => (e.eventId === 'a' ? new EventRefusal(refused) : 'invoice-b')));
    const decisions = await service.runBatchOnce([event('a'), event('b')], work);
    expect(decisions).toEqual([
      { kind: 'rejected', error: refused },
      { kind: 'processed', result: 'invoice-b' },
    ]);
    expect([...claims.rows.keys()]).toEqual(['b']);
    expect(db.ended).toEqual(['commit']);
  });

  it('decides a later copy of a refused event afresh once its claim is released: the genuine redelivery is processed', async () => {
    const work = jest.fn((events: readonly IdempotentEvent[]) =>
      Promise.resolve(events.map((e) => (e.fingerprint === 'reused' ? new EventRefusal(refused) : `invoice-${e.eventId}`))),
    );
    const decisions = await service.runBatchOnce([event('a', 'reused'), event('b'), event('a', 'fields-1'), event('a', 'fields-1')], work);
    expect(decisions).toEqual([
      { kind: 'rejected', error: refused },
      { kind: 'processed', result: 'invoice-b' },
      { kind: 'processed', result: 'invoice-a' },
      { kind: 'duplicate', firstProcessedAt: NOW },
    ]);
    expect(work.mock.calls).toEqual([[[event('a', 'reused'), event('b')]], [[event('a', 'fields-1')]]]);
    expect(claims.rows.get('a')).toEqual({ fingerprint: 'fields-1', processedAt: NOW });
  });

  it('runs alsoInTransaction with the decisions inside the transaction, before it commits', async () => {
    const seen: { decisions: readonly BatchDecision<string>[]; ended: string[] }[] = [];
    await service.runBatchOnce([event('a')], invoiceOf, (decisions) => Promise.resolve(void seen.push({ decisions, ended: [...db.ended] })));
    expect(seen).toEqual([{ decisions: [{ kind: 'processed', result: 'invoice-a' }], ended: [] }]);
    expect(db.ended).toEqual(['commit']);
  });

  it('rolls everything back when the work or alsoInTransaction fails, and runs no commit-fault hook', async () => {
    await expect(service.runBatchOnce([event('a')], () => Promise.reject(new Error('insert failed')))).rejects.toThrow('insert failed');
    await expect(service.runBatchOnce([event('b')], invoiceOf, () => Promise.reject(new Error('offsets failed')))).rejects.toThrow('offsets failed');
    expect(db.ended).toEqual(['rollback', 'rollback']);
    expect(hookSaw).toEqual([]);
  });

  it('calls the commit-fault hook once, after a commit that processed an event', async () => {
    await service.runBatchOnce([event('a'), event('b')], invoiceOf);
    expect(hookSaw).toEqual([['commit']]);
  });

  it('calls no commit-fault hook after a commit that processed nothing (replays, conflicts and refusals only)', async () => {
    alreadyClaimed('a', 'fields-1');
    await service.runBatchOnce([event('a'), event('a', 'fields-2')], invoiceOf);
    await service.runBatchOnce([event('r')], () => Promise.resolve([new EventRefusal(refused)]));
    expect(db.ended).toEqual(['commit', 'commit']);
    expect(hookSaw).toEqual([]);
  });

  it('opens no transaction for an empty batch', async () => {
    await expect(service.runBatchOnce([], invoiceOf)).resolves.toEqual([]);
    expect(db.dataSource.transaction).not.toHaveBeenCalled();
  });

  it('fails the transaction when the work returns other than one result per claimed event', async () => {
    await expect(service.runBatchOnce([event('a'), event('b')], () => Promise.resolve(['only one']))).rejects.toThrow(
      'batch work returned 1 results for 2 events',
    );
    expect(db.ended).toEqual(['rollback']);
  });

  describe('one event at a time (KAFKA_BATCH_MAX_EVENTS=1)', () => {
    it('returns the processed result, then the duplicate', async () => {
      await expect(service.runBatchOnce([event('a')], () => Promise.resolve(['invoice-a']))).resolves.toEqual([{ kind: 'processed', result: 'invoice-a' }]);
      await expect(service.runBatchOnce([event('a')], () => Promise.resolve(['again']))).resolves.toEqual([{ kind: 'duplicate', firstProcessedAt: NOW }]);
    });

    it('rejects a reused event_id with other billing fields as a conflict', async () => {
      alreadyClaimed('a', 'fields-1');
      const [decision] = await service.runBatchOnce([event('a', 'fields-2')], () => Promise.resolve(['x']));
      expect(decision).toEqual({ kind: 'rejected', error: expect.any(EventConflictError) });
    });
  });
});
