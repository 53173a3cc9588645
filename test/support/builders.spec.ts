import { Clock } from '../../src/common/clock';
import { OutboxRepository } from '../../src/outbox/outbox.repository';
import { inlineDatabase, mockOf } from './builders';

describe('mockOf', () => {
  it('fails a call of a method the test gave no behaviour, naming it', () => {
    const repository = mockOf(OutboxRepository);
    expect(() => repository.backlog()).toThrow('OutboxRepository.backlog() was called but this test gave it no behaviour');
  });

  it('runs the behaviour it was given, as a spy', () => {
    const clock = mockOf(Clock, { now: () => new Date(0) });
    expect(clock.now()).toEqual(new Date(0));
    expect(clock.now).toHaveBeenCalledTimes(1);
  });
});

describe('inlineDatabase', () => {
  it('commits a transaction whose work resolves and rolls back one whose work throws', async () => {
    const { transactions, ended } = inlineDatabase();
    await transactions.run(() => Promise.resolve());
    await expect(transactions.run(() => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(ended).toEqual(['commit', 'rollback']);
  });
});
