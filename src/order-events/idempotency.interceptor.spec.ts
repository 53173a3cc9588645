import { CallHandler, ExecutionContext } from '@nestjs/common';
import { Tracing } from '../tracing/tracing';
import { lastValueFrom, of } from 'rxjs';
import { Clock } from '../common/clock';
import { EventConflictError, PoisonMessageError } from '../common/errors';
import { BillingConfig } from '../config/configuration';
import { TransactionRunner } from '../database/transaction-runner';
import { EventOutcomeRecorder } from '../observability/event-outcome.recorder';
import { OrderEventParser } from './order-event.parser';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { Delivery } from './delivery';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { InMemoryClaims } from '../../test/support/in-memory-claims';

const directTransactions = { run: <T>(work: () => Promise<T>) => work() } as unknown as TransactionRunner;
const fixedClock: Clock = { now: () => new Date('2026-11-23T10:00:05Z') };

function deliveryOf(value: Buffer): Delivery {
  return new Delivery('message', [{ key: null, value, headers: {}, topic: 'order.completed', partition: 2, offset: '7' }]);
}

function contextFor(delivery: Delivery): ExecutionContext {
  return { switchToRpc: () => ({ getData: () => delivery, getContext: () => undefined }) } as unknown as ExecutionContext;
}

const payload = (overrides: Record<string, unknown> = {}) =>
  Buffer.from(JSON.stringify({ event_id: '0b7f5b1e-8a5e-4c1e-9f0a-2f7d8c9e1a2b', order_id: 'o-1', tenant_id: 'acme', total: '5.00', ...overrides }));

describe('IdempotencyInterceptor', () => {
  let claims: InMemoryClaims;
  let recorded: { outcome: string; duplicateAgeMs?: number }[];
  let interceptor: IdempotencyInterceptor;
  let handlerCalls: number;
  let parser: OrderEventParser;
  let positions: string[];
  const handler: CallHandler = { handle: () => (handlerCalls++, of('invoiced')) };

  beforeEach(() => {
    claims = new InMemoryClaims(new Date('2026-11-23T10:00:00Z'));
    recorded = [];
    handlerCalls = 0;
    const recorder = { record: (outcome: string, d: { duplicateAgeMs?: number }) => recorded.push({ outcome, duplicateAgeMs: d.duplicateAgeMs }) };
    parser = new OrderEventParser(new BillingConfig('USD'));
    interceptor = new IdempotencyInterceptor(
      parser,
      new IdempotencyService(directTransactions, claims.asRepository()),
      recorder as unknown as EventOutcomeRecorder,
      fixedClock,
      { record: (messages) => (positions.push(...messages.map((m) => `${m.partition}@${m.offset}`)), Promise.resolve()) },
      new Tracing(),
    );
    positions = [];
  });

  const run = (value: Buffer) => lastValueFrom(interceptor.intercept(contextFor(deliveryOf(value)), handler));

  it('claims a new event and runs the handler once, recording where its partition resumes', async () => {
    await expect(run(payload())).resolves.toBe('invoiced');
    expect(positions).toEqual(['2@7']);
    expect(handlerCalls).toBe(1);
    expect(claims.rows.size).toBe(1);
    expect(recorded).toEqual([{ outcome: 'invoiced', duplicateAgeMs: undefined }]);
  });

  it('hands the handler the event it parsed once, with the trace context of its delivery', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const delivery = new Delivery('message', [
      { key: null, value: payload(), headers: { traceparent: Buffer.from(traceparent) }, topic: 'order.completed', partition: 2, offset: '7' },
    ]);
    const seen: unknown[] = [];
    const parse = jest.spyOn(parser, 'parse');
    await lastValueFrom(interceptor.intercept(contextFor(delivery), { handle: () => (seen.push(...delivery.claimedEvents().events), of('invoiced')) }));
    expect(seen).toEqual([expect.objectContaining({ eventId: '0b7f5b1e-8a5e-4c1e-9f0a-2f7d8c9e1a2b', orderId: 'o-1', amount: '5.00', traceparent })]);
    expect(parse).toHaveBeenCalledTimes(1);
  });

  it('skips a replay with a value, never an empty stream, and reports how old the duplicate is', async () => {
    await run(payload());
    await expect(run(payload())).resolves.toBe('duplicate');
    expect(handlerCalls).toBe(1);
    expect(recorded[1]).toEqual({ outcome: 'duplicate', duplicateAgeMs: 5000 });
  });

  it('refuses a reused event_id with different billing fields, storing no position before its dead letter is out', async () => {
    await run(payload());
    positions = [];
    await expect(run(payload({ total: '6.00' }))).rejects.toBeInstanceOf(EventConflictError);
    expect(handlerCalls).toBe(1);
    expect(positions).toEqual([]);
  });

  it('rejects poison before claiming anything', async () => {
    await expect(run(Buffer.from('{oops'))).rejects.toBeInstanceOf(PoisonMessageError);
    expect(claims.rows.size).toBe(0);
    expect(handlerCalls).toBe(0);
  });

  it('lets a handler failure escape so the transaction rolls back', async () => {
    const failing: CallHandler = {
      handle: () => {
        throw new Error('db down');
      },
    };
    await expect(lastValueFrom(interceptor.intercept(contextFor(deliveryOf(payload())), failing))).rejects.toThrow('db down');
  });
});
