import { CallHandler, ExecutionContext } from '@nestjs/common';
import { KafkaContext } from '@nestjs/microservices';
import { lastValueFrom, of } from 'rxjs';
import { Clock } from '../common/clock';
import { EventConflictError, PoisonMessageError } from '../common/errors';
import { BillingConfig } from '../config/configuration';
import { TransactionRunner } from '../database/transaction-runner';
import { EventOutcomeRecorder } from '../observability/event-outcome.recorder';
import { OrderEventParser } from './order-event.parser';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { InMemoryClaims } from '../../test/support/in-memory-claims';

const directTransactions = { run: <T>(work: () => Promise<T>) => work() } as unknown as TransactionRunner;
const fixedClock: Clock = { now: () => new Date('2026-11-23T10:00:05Z') };

function kafkaContextFor(value: unknown): ExecutionContext {
  const kafka = new KafkaContext([{ offset: '7', value } as never, 2, 'order.completed', null as never, null as never, null as never]);
  return { switchToRpc: () => ({ getData: () => value, getContext: () => kafka }) } as unknown as ExecutionContext;
}

const payload = (overrides: Record<string, unknown> = {}) =>
  Buffer.from(JSON.stringify({ event_id: '0b7f5b1e-8a5e-4c1e-9f0a-2f7d8c9e1a2b', order_id: 'o-1', tenant_id: 'acme', total: '5.00', ...overrides }));

describe('IdempotencyInterceptor', () => {
  let claims: InMemoryClaims;
  let recorded: { outcome: string; duplicateAgeMs?: number }[];
  let interceptor: IdempotencyInterceptor;
  let handlerCalls: number;
  let positions: string[];
  const handler: CallHandler = { handle: () => (handlerCalls++, of('invoiced')) };

  beforeEach(() => {
    claims = new InMemoryClaims(new Date('2026-11-23T10:00:00Z'));
    recorded = [];
    handlerCalls = 0;
    const recorder = { record: (outcome: string, d: { duplicateAgeMs?: number }) => recorded.push({ outcome, duplicateAgeMs: d.duplicateAgeMs }) };
    interceptor = new IdempotencyInterceptor(
      new OrderEventParser(new BillingConfig('USD')),
      new IdempotencyService(directTransactions, claims.asRepository()),
      recorder as unknown as EventOutcomeRecorder,
      fixedClock,
      { record: (messages) => (positions.push(...messages.map((m) => `${m.partition}@${m.offset}`)), Promise.resolve()) },
    );
    positions = [];
  });

  const run = (value: Buffer) => lastValueFrom(interceptor.intercept(kafkaContextFor(value), handler));

  it('claims a new event and runs the handler once, recording where its partition resumes', async () => {
    await expect(run(payload())).resolves.toBe('invoiced');
    expect(positions).toEqual(['2@7']);
    expect(handlerCalls).toBe(1);
    expect(claims.rows.size).toBe(1);
    expect(recorded).toEqual([{ outcome: 'invoiced', duplicateAgeMs: undefined }]);
  });

  it('skips a replay with a value, never an empty stream, and reports how old the duplicate is', async () => {
    await run(payload());
    await expect(run(payload())).resolves.toBe('duplicate');
    expect(handlerCalls).toBe(1);
    expect(recorded[1]).toEqual({ outcome: 'duplicate', duplicateAgeMs: 5000 });
  });

  it('refuses a reused event_id with different billing fields', async () => {
    await run(payload());
    await expect(run(payload({ total: '6.00' }))).rejects.toBeInstanceOf(EventConflictError);
    expect(handlerCalls).toBe(1);
  });

  it('rejects poison before claiming anything', async () => {
    await expect(run(Buffer.from('{oops'))).rejects.toBeInstanceOf(PoisonMessageError);
    expect(claims.rows.size).toBe(0);
    expect(handlerCalls).toBe(0);
  });

  it('lets a handler failure escape so the transaction rolls back', async () => {
    const failing: CallHandler = { handle: () => { throw new Error('db down'); } };
    await expect(lastValueFrom(interceptor.intercept(kafkaContextFor(payload()), failing))).rejects.toThrow('db down');
  });
});
