import { CallHandler, ExecutionContext } from '@nestjs/common';
import { Tracing } from '../tracing/tracing';
import { lastValueFrom, of } from 'rxjs';
import { PoisonMessageError } from '../common/errors';
import { BillingConfig } from '../config/configuration';
import { TransactionRunner } from '../database/transaction-runner';
import { EventOutcomeRecorder, MessageCoordinates } from '../observability/event-outcome.recorder';
import { OrderEventParser, ParsedOrderCompleted } from './order-event.parser';
import { Delivery, FetchedMessage } from './delivery';
import { IdempotentBatchInterceptor } from './idempotent-batch.interceptor';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { InMemoryClaims } from '../../test/support/in-memory-claims';
import { RejectedEventSink } from './rejected-event.sink';
import { SettledPositions } from '../consumer-offsets/settled-positions';

const FIRST_PROCESSED = new Date('2026-11-23T10:00:00Z');
const NOW = new Date('2026-11-23T10:00:05Z');

const ID = {
  a: '0b7f5b1e-8a5e-4c1e-9f0a-2f7d8c9e1a2b',
  b: '1c8a6c2f-9b6f-4d2f-8a1b-3a8e9d0f2b3c',
  c: '2d9b7d3a-0c7a-4e3a-9b2c-4b9f0e1a3c4d',
};

const payload = (eventId: string, overrides: Record<string, unknown> = {}) =>
  Buffer.from(JSON.stringify({ event_id: eventId, order_id: `o-${eventId.slice(0, 4)}`, tenant_id: 'acme', total: '5.00', ...overrides }));

function batchOf(...values: Buffer[]): Delivery {
  const messages: FetchedMessage[] = values.map((value, i) => ({
    key: null,
    value,
    headers: {},
    topic: 'order.completed',
    partition: 3,
    offset: String(100 + i),
  }));
  return new Delivery('batch', messages);
}

function contextFor(delivery: Delivery): ExecutionContext {
  return { switchToRpc: () => ({ getData: () => delivery, getContext: () => undefined }) } as unknown as ExecutionContext;
}

describe('IdempotentBatchInterceptor', () => {
  let claims: InMemoryClaims;
  let recorded: { outcome: string; offset: string; duplicateAgeMs?: number }[];
  let rejected: { offset: string; reason: string }[];
  let positions: string[][];
  let handled: string[][];
  let interceptor: IdempotentBatchInterceptor;

  /** Invoices each claimed event, except orders already invoiced, as the invoices backstop would. */
  const invoicedOrders = new Set<string>();
  const invoicingHandler = (delivery: Delivery): CallHandler => ({
    handle: () => {
      const { events } = delivery.claimedEvents();
      expect(Object.isFrozen(events)).toBe(true);
      handled.push(events.map((e) => e.eventId));
      return of(
        events.map((e) => {
          const { orderId } = e as ParsedOrderCompleted;
          if (invoicedOrders.has(orderId)) return 'duplicate_order';
          invoicedOrders.add(orderId);
          return 'invoiced';
        }),
      );
    },
  });

  beforeEach(() => {
    claims = new InMemoryClaims(NOW);
    recorded = [];
    rejected = [];
    handled = [];
    invoicedOrders.clear();
    const recorder = {
      record: (outcome: string, d: { message: MessageCoordinates; duplicateAgeMs?: number }) =>
        recorded.push({ outcome, offset: d.message.offset, duplicateAgeMs: d.duplicateAgeMs }),
    };
    const sink: RejectedEventSink = {
      reject: (message: FetchedMessage, error: PoisonMessageError) => {
        rejected.push({ offset: message.offset, reason: error.reason });
        return Promise.resolve();
      },
    };
    const transactions = { run: <T>(work: () => Promise<T>) => work() } as unknown as TransactionRunner;
    positions = [];
    const settledPositions: SettledPositions = {
      record: (messages: readonly MessageCoordinates[]) => {
        positions.push(messages.map((m) => m.offset));
        return Promise.resolve();
      },
    };
    interceptor = new IdempotentBatchInterceptor(
      new OrderEventParser(new BillingConfig('USD')),
      new IdempotencyService(transactions, claims.asRepository()),
      recorder as unknown as EventOutcomeRecorder,
      { now: () => NOW },
      sink,
      settledPositions,
      new Tracing(),
    );
  });

  const run = (batch: Delivery, handler: CallHandler = invoicingHandler(batch)) => lastValueFrom(interceptor.intercept(contextFor(batch), handler));

  it('claims a batch with one statement and hands the handler each new event once', async () => {
    await expect(run(batchOf(payload(ID.a), payload(ID.b)))).resolves.toEqual({ messages: 2, claimed: 2 });
    expect(claims.statements).toBe(1);
    expect(handled).toEqual([[ID.a, ID.b]]);
    expect(recorded.map((r) => [r.offset, r.outcome])).toEqual([
      ['100', 'invoiced'],
      ['101', 'invoiced'],
    ]);
  });

  it('treats a copy later in the same batch as a duplicate and a changed copy as a conflict', async () => {
    await run(batchOf(payload(ID.a), payload(ID.a), payload(ID.a, { total: '6.00' }), payload(ID.b)));
    expect(handled).toEqual([[ID.a, ID.b]]);
    expect(recorded.map((r) => [r.offset, r.outcome])).toEqual([
      ['100', 'invoiced'],
      ['101', 'duplicate'],
      ['103', 'invoiced'],
    ]);
    expect(recorded[1].duplicateAgeMs).toBe(0);
    expect(rejected).toEqual([{ offset: '102', reason: 'conflict' }]);
  });

  it('skips events claimed by an earlier batch and compares them with the stored fingerprint', async () => {
    claims.rows.set(ID.a, { fingerprint: 'other', processedAt: FIRST_PROCESSED });
    await run(batchOf(payload(ID.b)));
    await run(batchOf(payload(ID.b), payload(ID.a), payload(ID.c)));
    expect(handled).toEqual([[ID.b], [ID.c]]);
    expect(recorded.slice(1).map((r) => [r.offset, r.outcome, r.duplicateAgeMs])).toEqual([
      ['100', 'duplicate', 0],
      ['102', 'invoiced', undefined],
    ]);
    expect(rejected).toEqual([{ offset: '101', reason: 'conflict' }]);
  });

  it('reports an order re-published under a new event_id as duplicate_order', async () => {
    await run(batchOf(payload(ID.a, { order_id: 'same' }), payload(ID.b, { order_id: 'same' })));
    expect(recorded.map((r) => r.outcome)).toEqual(['invoiced', 'duplicate_order']);
  });

  it('rejects poison without claiming it and still processes the rest of the batch', async () => {
    await run(batchOf(Buffer.from('{oops'), payload(ID.a), payload('not-a-uuid')));
    expect(rejected).toEqual([
      { offset: '100', reason: 'invalid_json' },
      { offset: '102', reason: 'invalid_payload' },
    ]);
    expect([...claims.rows.keys()]).toEqual([ID.a]);
    expect(recorded.map((r) => [r.offset, r.outcome])).toEqual([['101', 'invoiced']]);
  });

  it('records a partition as settled up to its first poison in the transaction, and past it once dead-lettered', async () => {
    await run(batchOf(payload(ID.a), Buffer.from('{oops'), payload(ID.b)));
    expect(positions).toEqual([['100'], ['102']]);
  });

  it('records nothing more after the transaction when nothing was rejected', async () => {
    await run(batchOf(payload(ID.a), payload(ID.b)));
    expect(positions).toEqual([['101']]);
  });

  it('does not call the handler or the database work for a batch of only duplicates and poison', async () => {
    await run(batchOf(payload(ID.a)));
    await run(batchOf(payload(ID.a), Buffer.from('[]')));
    expect(handled).toEqual([[ID.a]]);
    expect(recorded.map((r) => r.outcome)).toEqual(['invoiced', 'duplicate']);
  });

  it('lets a handler failure escape before anything is recorded or dead-lettered', async () => {
    const failing: CallHandler = {
      handle: () => {
        throw new Error('db down');
      },
    };
    await expect(run(batchOf(payload(ID.a), Buffer.from('{oops')), failing)).rejects.toThrow('db down');
    expect(recorded).toEqual([]);
    expect(rejected).toEqual([]);
  });

  it('refuses a handler that does not return one result per admitted event', async () => {
    const wrong: CallHandler = { handle: () => of(['invoiced']) };
    await expect(run(batchOf(payload(ID.a), payload(ID.b)), wrong)).rejects.toThrow(/1 results for 2 events/);
  });
});
