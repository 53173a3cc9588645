import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { judgeDatabaseError } from './database-errors';

interface Ambient {
  manager: EntityManager;
  afterCommit: (() => void)[];
}

/**
 * Carries the current transaction through async calls, so the idempotency claim and the
 * invoice insert made by different classes commit or roll back together. A data error that would fail
 * on every retry leaves a transaction as RejectedByDatabaseError.
 */
@Injectable()
export class TransactionRunner {
  private readonly current = new AsyncLocalStorage<Ambient>();

  constructor(private readonly dataSource: DataSource) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.current.getStore()) return work();
    const afterCommit: (() => void)[] = [];
    const result = await this.dataSource
      .transaction((manager) => this.current.run({ manager, afterCommit }, work))
      .catch((error: unknown) => {
        throw judgeDatabaseError(error);
      });
    afterCommit.forEach((effect) => effect());
    return result;
  }

  manager(): EntityManager {
    return this.current.getStore()?.manager ?? this.dataSource.manager;
  }

  /**
   * Runs `effect` once the current transaction has committed, never when it rolls back (outside a transaction:
   * now). For what may only report committed work, such as a metric or a warning, so a retried group counts once.
   */
  afterCommit(effect: () => void): void {
    const ambient = this.current.getStore();
    if (ambient) ambient.afterCommit.push(effect);
    else effect();
  }
}
