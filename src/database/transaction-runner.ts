import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { judgeDatabaseError } from './database-errors';

/**
 * Carries the current transaction through async calls, so the idempotency claim and the
 * invoice insert made by different classes commit or roll back together. A data error that would fail
 * on every retry leaves a transaction as RejectedByDatabaseError.
 */
@Injectable()
export class TransactionRunner {
  private readonly current = new AsyncLocalStorage<EntityManager>();

  constructor(private readonly dataSource: DataSource) {}

  run<T>(work: () => Promise<T>): Promise<T> {
    const ambient = this.current.getStore();
    if (ambient) return work();
    return this.dataSource.transaction((manager) => this.current.run(manager, work)).catch((error: unknown) => {
      throw judgeDatabaseError(error);
    });
  }

  manager(): EntityManager {
    return this.current.getStore() ?? this.dataSource.manager;
  }
}
