import { DatabaseError } from 'pg';
import { EntityManager, QueryFailedError } from 'typeorm';
import { RejectedByDatabaseError } from '../common/errors';
import { inlineDatabase, InlineDatabase, mockOf } from '../../test/support/builders';
import { TransactionRunner } from './transaction-runner';

const pgError = (code: string) => Object.assign(new DatabaseError(`pg ${code}`, 0, 'error'), { code });

describe('TransactionRunner', () => {
  let inTransaction: EntityManager;
  let outside: EntityManager;
  let db: InlineDatabase;
  let runner: TransactionRunner;

  beforeEach(() => {
    inTransaction = mockOf(EntityManager);
    outside = mockOf(EntityManager);
    db = inlineDatabase(inTransaction, outside);
    runner = db.transactions;
  });

  it("hands the transaction's manager to everything the work awaits, and the data source's outside it", async () => {
    const seen = await runner.run(async () => {
      await Promise.resolve();
      return runner.manager();
    });
    expect(seen).toBe(inTransaction);
    expect(runner.manager()).toBe(outside);
  });

  it('joins the transaction already open instead of opening another', async () => {
    await expect(runner.run(() => runner.run(() => Promise.resolve('inner')))).resolves.toBe('inner');
    expect(db.dataSource.transaction).toHaveBeenCalledTimes(1);
    expect(db.ended).toEqual(['commit']);
  });

  it('runs after-commit effects once the transaction committed, in order, including those of joined work', async () => {
    const effects: string[] = [];
    await runner.run(async () => {
      runner.afterCommit(() => effects.push(`first after ${db.ended.join()}`));
      await runner.run(() => Promise.resolve(runner.afterCommit(() => effects.push('second'))));
      expect(effects).toEqual([]);
    });
    expect(effects).toEqual(['first after commit', 'second']);
  });

  it('drops after-commit effects when the transaction rolls back', async () => {
    const effect = jest.fn();
    await expect(
      runner.run(() => {
        runner.afterCommit(effect);
        return Promise.reject(new Error('deadlock'));
      }),
    ).rejects.toThrow('deadlock');
    expect(db.ended).toEqual(['rollback']);
    expect(effect).not.toHaveBeenCalled();
  });

  it('runs an after-commit effect at once outside a transaction', () => {
    const effect = jest.fn();
    runner.afterCommit(effect);
    expect(effect).toHaveBeenCalledTimes(1);
  });

  it('turns a data error that fails on every retry into RejectedByDatabaseError', async () => {
    const rejected = runner.run(() => Promise.reject(new QueryFailedError('INSERT', [], pgError('23514'))));
    await expect(rejected).rejects.toBeInstanceOf(RejectedByDatabaseError);
    await expect(rejected).rejects.toMatchObject({ sqlstate: '23514' });
  });

  it('leaves a fault that can pass (a lost connection, a serialization failure) as it is, to be retried', async () => {
    const serialization = new QueryFailedError('UPDATE', [], pgError('40001'));
    const lost = new Error('Connection terminated unexpectedly');
    await expect(runner.run(() => Promise.reject(serialization))).rejects.toBe(serialization);
    await expect(runner.run(() => Promise.reject(lost))).rejects.toBe(lost);
  });
});
