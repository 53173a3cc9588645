import pino, { Logger } from 'pino';
import { DataSource, EntityManager } from 'typeorm';
import { IsolationLevel } from 'typeorm/driver/types/IsolationLevel';
import { ConsumerPolicyConfig, OutboxConfig } from '../../src/config/configuration';
import { TransactionRunner } from '../../src/database/transaction-runner';

type AnyFunction = (...args: never[]) => unknown;
type ClassOf<T> = abstract new (...args: never[]) => T;

function methodNamesOf(prototype: object | null): Set<string> {
  const names = new Set<string>();
  for (let p = prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    for (const name of Object.getOwnPropertyNames(p)) {
      if (name !== 'constructor' && typeof Object.getOwnPropertyDescriptor(p, name)?.value === 'function') names.add(name);
    }
  }
  return names;
}

/**
 * A double of one of the project's (or a library's) classes, typed as that class. Every method is a jest.fn; one the
 * test gives no behaviour in `given` throws when called, so an unexpected call fails the test instead of returning
 * undefined. Non-function entries of `given` (e.g. a DataSource's manager) are set as they are.
 */
export function mockOf<T extends object>(type: ClassOf<T>, given: Partial<T> = {}): jest.Mocked<T> {
  const double = {} as jest.Mocked<T>;
  for (const name of methodNamesOf(type.prototype as object)) {
    Reflect.set(
      double,
      name,
      jest.fn(() => {
        throw new Error(`${type.name}.${name}() was called but this test gave it no behaviour`);
      }),
    );
  }
  for (const [name, value] of Object.entries(given))
    Reflect.set(double, name, typeof value === 'function' && !jest.isMockFunction(value) ? jest.fn(value as AnyFunction) : value);
  return double;
}

export const silentLogger = (): Logger => pino({ enabled: false });

export type TransactionEnd = 'commit' | 'rollback';

export interface InlineDatabase {
  dataSource: jest.Mocked<DataSource>;
  /** The real TransactionRunner over `dataSource`: ambient manager, nesting, after-commit effects and error judging. */
  transactions: TransactionRunner;
  /** How each transaction ended, in order: commit when its work resolved, rollback when it threw. */
  ended: TransactionEnd[];
}

/** A database with no server: a transaction runs its work at once with `manager`, and commits unless the work throws. */
export function inlineDatabase(manager: EntityManager = mockOf(EntityManager), outsideManager: EntityManager = mockOf(EntityManager)): InlineDatabase {
  const ended: TransactionEnd[] = [];
  function transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T>;
  function transaction<T>(level: IsolationLevel, work: (manager: EntityManager) => Promise<T>): Promise<T>;
  async function transaction<T>(first: IsolationLevel | ((m: EntityManager) => Promise<T>), second?: (m: EntityManager) => Promise<T>): Promise<T> {
    const work = typeof first === 'function' ? first : second!;
    try {
      const result = await work(manager);
      ended.push('commit');
      return result;
    } catch (error) {
      ended.push('rollback');
      throw error;
    }
  }
  const dataSource = mockOf(DataSource, { transaction, manager: outsideManager });
  return { dataSource, transactions: new TransactionRunner(dataSource), ended };
}

/** Outbox settings of a relay that is enabled; `publishTimeoutMs` and the others as a test needs them. */
export function outboxConfig(overrides: Partial<OutboxConfig> = {}): OutboxConfig {
  return new OutboxConfig({
    topic: 'invoice.created',
    relayEnabled: true,
    batchSize: 500,
    sendMaxBytes: 900_000,
    pollIntervalMs: 1_000,
    lingerMs: 0,
    retryInitialMs: 200,
    retryMaxMs: 30_000,
    unhealthyAfterMs: 120_000,
    publishTimeoutMs: 50,
    ...overrides,
  });
}

export function consumerPolicy(overrides: Partial<ConsumerPolicyConfig> = {}): ConsumerPolicyConfig {
  return new ConsumerPolicyConfig({
    retryInitialMs: 100,
    retryMaxMs: 1_000,
    stuckAfterMs: 60_000,
    deadLetterMaxBytes: 1_000_000,
    deadLetterCompression: 'none',
    ...overrides,
  });
}

/** A silent root logger whose children (the classes' loggers) all write through `lines`, each level a spy. */
export function spiedLogger() {
  const root = silentLogger();
  const child = root.child<string>({});
  jest.spyOn(root, 'child').mockReturnValue(child);
  const lines = {
    debug: jest.spyOn(child, 'debug'),
    info: jest.spyOn(child, 'info'),
    warn: jest.spyOn(child, 'warn'),
    error: jest.spyOn(child, 'error'),
  };
  return { root, lines };
}
