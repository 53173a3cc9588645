import { EventConflictError, PoisonMessageError, RejectedByDatabaseError } from '../common/errors';
import { BillingConfig } from '../config/configuration';
import { SettledPositions } from '../consumer-offsets/settled-positions';
import { TransactionRunner } from '../database/transaction-runner';
import { EventRefusal, IdempotencyService } from '../idempotency/idempotency.service';
import { InvoiceOutcome } from '../invoices/invoice-outcome';
import { InvoicesService } from '../invoices/invoices.service';
import { OrderCompletedEvent } from '../invoices/order-completed.event';
import { EventOutcomeRecorder, OutcomeDetails } from '../observability/event-outcome.recorder';
import { Tracing } from '../tracing/tracing';
import { mockOf } from '../../test/support/builders';
import { InMemoryClaims } from '../../test/support/in-memory-claims';
import { consumedBatchOf, FetchedMessage } from './consumed-batch';
import { DeadLetterPublisher } from './dead-letter.publisher';
import { FlowReport, OrderCompletedFlow } from './order-completed.flow';
import { OrderEventParser } from './order-event.parser';

const FIRST_PROCESSED = new Date('2026-11-23T10:00:00Z');
const NOW = new Date('2026-11-23T10:00:05Z');
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

const ID = {
  a: '0b7f5b1e-8a5e-4c1e-9f0a-2f7d8c9e1a2b',
  b: '1c8a6c2f-9b6f-4d2f-8a1b-3a8e9d0f2b3c',
  c: '2d9b7d3a-0c7a-4e3a-9b2c-4b9f0e1a3c4d',
};

const payload = (eventId: string, overrides: Record<string, unknown> = {}) =>
  Buffer.from(JSON.stringify({ event_id: eventId, order_id: `o-${eventId.slice(0, 4)}`, tenant_id: 'acme', total: '5.00', ...overrides }));

const messagesOf = (...values: Buffer[]): FetchedMessage[] =>
  values.map((value, i) => ({ key: null, value, headers: {}, topic: 'order.completed', partition: 3, offset: String(100 + i) }));

/** Invoices each event it is given, except orders already invoiced, as the invoices table's unique order key would. */
class InvoicesDouble implements Pick<InvoicesService, 'invoiceOrders'> {
  readonly calls: OrderCompletedEvent[][] = [];
  readonly orders = new Set<string>();
  refuse = new Set<string>();
  failWith?: Error;

  invoiceOrders(events: readonly OrderCompletedEvent[]): Promise<(InvoiceOutcome | EventRefusal)[]> {
    if (this.failWith) return Promise.reject(this.failWith);
    this.calls.push([...events]);
    return Promise.resolve(
      events.map((event) => {
        if (this.refuse.has(event.eventId)) return new EventRefusal(new EventConflictError(event.eventId));
        if (this.orders.has(event.orderId)) return 'duplicate_order';
        this.orders.add(event.orderId);
        return 'invoiced';
      }),
    );
  }
}

describe('OrderCompletedFlow', () => {
  let claims: InMemoryClaims;
  let invoices: InvoicesDouble;
  let recorded: { outcome: string; offset: string; duplicateAgeMs?: number }[];
  let deadLetters: { offset: string; reason: string }[];
  let positions: string[][];
  /** Every side effect in the order it happened. */
  let trail: string[];
  let transactionFault: Error | undefined;
  let flow: OrderCompletedFlow;

  beforeEach(() => {
    claims = new InMemoryClaims(NOW);
    invoices = new InvoicesDouble();
    recorded = [];
    deadLetters = [];
    positions = [];
    trail = [];
    transactionFault = undefined;
    const transactions = mockOf(TransactionRunner, {
      // A refused commit rolls back what the transaction wrote.
      run: async <T>(work: () => Promise<T>) => {
        const [claimRows, orders] = [new Map(claims.rows), new Set(invoices.orders)];
        const result = await work();
        if (!transactionFault) return result;
        claims.rows.clear();
        claimRows.forEach((row, id) => claims.rows.set(id, row));
        invoices.orders.clear();
        orders.forEach((order) => invoices.orders.add(order));
        throw transactionFault;
      },
    });
    const recorder = mockOf(EventOutcomeRecorder, {
      record: (outcome, details: OutcomeDetails) => void recorded.push({ outcome, offset: details.message.offset, duplicateAgeMs: details.duplicateAgeMs }),
    });
    const settledPositions: SettledPositions = {
      record: (messages) => {
        positions.push(messages.map((m) => m.offset));
        trail.push(`position ${messages.map((m) => m.offset).join(',')}`);
        return Promise.resolve();
      },
    };
    const publisher = mockOf(DeadLetterPublisher, {
      publish: (_original, source, error: PoisonMessageError) => {
        deadLetters.push({ offset: source.offset, reason: error.reason });
        trail.push(`dead letter ${source.offset}`);
        return Promise.resolve();
      },
    });
    flow = new OrderCompletedFlow(
      new OrderEventParser(new BillingConfig({ defaultCurrency: 'USD' })),
      new IdempotencyService(transactions, claims.asRepository()),
      // Through the double's own method, which a test may spy on.
      mockOf(InvoicesService, { invoiceOrders: (events) => invoices.invoiceOrders(events) }),
      settledPositions,
      publisher,
      recorder,
      { now: () => NOW },
      new Tracing(),
    );
  });

  const run = (...values: Buffer[]): Promise<FlowReport> => flow.process(consumedBatchOf(messagesOf(...values)));
  const invoiced = () => invoices.calls.map((events) => events.map((e) => e.eventId));

  it('claims a batch with one statement and invoices each new event once', async () => {
    const report = await run(payload(ID.a), payload(ID.b));
    expect(report).toEqual({ outcomes: [{ kind: 'invoiced' }, { kind: 'invoiced' }] });
    expect(claims.statements).toBe(1);
    expect(invoiced()).toEqual([[ID.a, ID.b]]);
    expect(recorded.map((r) => [r.offset, r.outcome])).toEqual([
      ['100', 'invoiced'],
      ['101', 'invoiced'],
    ]);
  });

  it('invoices the event it parsed once, with the trace context of its delivery', async () => {
    const [message] = messagesOf(payload(ID.a));
    await flow.process(consumedBatchOf([{ ...message, headers: { traceparent: Buffer.from(TRACEPARENT) } }]));
    expect(invoices.calls).toEqual([[expect.objectContaining({ eventId: ID.a, orderId: 'o-0b7f', amount: '5.00', traceparent: TRACEPARENT })]]);
  });

  it('treats a copy later in the same batch as a duplicate and a changed copy as a conflict', async () => {
    const report = await run(payload(ID.a), payload(ID.a), payload(ID.a, { total: '6.00' }), payload(ID.b));
    expect(invoiced()).toEqual([[ID.a, ID.b]]);
    expect(report.outcomes.map((o) => o.kind)).toEqual(['invoiced', 'duplicate', 'rejected', 'invoiced']);
    expect(recorded.map((r) => [r.offset, r.outcome])).toEqual([
      ['100', 'invoiced'],
      ['101', 'duplicate'],
      ['103', 'invoiced'],
      ['102', 'conflict'],
    ]);
    expect(recorded[1].duplicateAgeMs).toBe(0);
    expect(deadLetters).toEqual([{ offset: '102', reason: 'conflict' }]);
  });

  it('skips events claimed by an earlier batch and compares them with the stored fingerprint', async () => {
    claims.rows.set(ID.a, { fingerprint: 'other', processedAt: FIRST_PROCESSED });
    await run(payload(ID.b));
    await run(payload(ID.b), payload(ID.a), payload(ID.c));
    expect(invoiced()).toEqual([[ID.b], [ID.c]]);
    expect(recorded.slice(1).map((r) => [r.offset, r.outcome, r.duplicateAgeMs])).toEqual([
      ['100', 'duplicate', 0],
      ['102', 'invoiced', undefined],
      ['101', 'conflict', undefined],
    ]);
    expect(deadLetters).toEqual([{ offset: '101', reason: 'conflict' }]);
  });

  it('reports how old a replayed duplicate is', async () => {
    claims.rows.set(ID.a, { fingerprint: (await flowFingerprint(ID.a)) ?? '', processedAt: FIRST_PROCESSED });
    const report = await run(payload(ID.a));
    expect(report.outcomes).toEqual([{ kind: 'duplicate', firstProcessedAt: FIRST_PROCESSED }]);
    expect(recorded).toEqual([{ outcome: 'duplicate', offset: '100', duplicateAgeMs: 5000 }]);
  });

  it('reports an order re-published under a new event_id as duplicate_order', async () => {
    await run(payload(ID.a, { order_id: 'same' }), payload(ID.b, { order_id: 'same' }));
    expect(recorded.map((r) => r.outcome)).toEqual(['invoiced', 'duplicate_order']);
  });

  it('dead-letters an event the invoices refuse and releases its claim in the same transaction', async () => {
    invoices.refuse.add(ID.a);
    const report = await run(payload(ID.a), payload(ID.b));
    expect(report.outcomes.map((o) => o.kind)).toEqual(['rejected', 'invoiced']);
    expect(deadLetters).toEqual([{ offset: '100', reason: 'conflict' }]);
    expect([...claims.rows.keys()]).toEqual([ID.b]);
  });

  it('rejects poison without claiming it and still processes the rest of the batch', async () => {
    await run(Buffer.from('{oops'), payload(ID.a), payload('not-a-uuid'));
    expect(deadLetters).toEqual([
      { offset: '100', reason: 'invalid_json' },
      { offset: '102', reason: 'invalid_payload' },
    ]);
    expect([...claims.rows.keys()]).toEqual([ID.a]);
    expect(recorded.map((r) => [r.offset, r.outcome])).toEqual([
      ['101', 'invoiced'],
      ['100', 'poison'],
      ['102', 'poison'],
    ]);
  });

  it('stores a partition as settled up to its first poison in the transaction, and past it only once its dead letter is out', async () => {
    await run(payload(ID.a), Buffer.from('{oops'), payload(ID.b));
    expect(trail).toEqual(['position 100', 'dead letter 101', 'position 101', 'position 102']);
  });

  it('stores nothing more after the transaction when nothing was rejected', async () => {
    await run(payload(ID.a), payload(ID.b));
    expect(positions).toEqual([['101']]);
  });

  it('sets apart the event whose data PostgreSQL refuses by halving, committing every other event', async () => {
    const refusedId = ID.b;
    const commits: string[][] = [];
    const realClaim = claims.claimMany.bind(claims);
    jest.spyOn(claims, 'claimMany').mockImplementation((events) => {
      commits.push(events.map((e) => e.eventId));
      transactionFault = events.some((e) => e.eventId === refusedId) ? new RejectedByDatabaseError('22003', 'numeric field overflow') : undefined;
      return realClaim(events);
    });
    const report = await run(payload(ID.a), payload(refusedId), payload(ID.c));
    expect(report.outcomes.map((o) => o.kind)).toEqual(['invoiced', 'rejected', 'invoiced']);
    expect(commits).toEqual([[ID.a, ID.b, ID.c], [ID.a, ID.b], [ID.a], [ID.b], [ID.c]]);
    expect(deadLetters.map((d) => d.offset)).toEqual(['101']);
  });

  it('does not invoice anything for a batch of only duplicates and poison', async () => {
    await run(payload(ID.a));
    await run(payload(ID.a), Buffer.from('[]'));
    expect(invoiced()).toEqual([[ID.a]]);
    expect(recorded.map((r) => r.outcome)).toEqual(['invoiced', 'duplicate', 'poison']);
  });

  it('lets a failure escape before anything is recorded or dead-lettered, so nothing is acknowledged', async () => {
    invoices.failWith = new Error('db down');
    await expect(run(payload(ID.a), Buffer.from('{oops'))).rejects.toThrow('db down');
    expect(recorded).toEqual([]);
    expect(deadLetters).toEqual([]);
    expect(positions).toEqual([]);
  });

  it('refuses invoices that do not return one result per claimed event', async () => {
    jest.spyOn(invoices, 'invoiceOrders').mockResolvedValue(['invoiced']);
    await expect(run(payload(ID.a), payload(ID.b))).rejects.toThrow(/1 results for 2 events/);
  });
});

/** The fingerprint the parser gives the default payload of an event id. */
function flowFingerprint(eventId: string): Promise<string | undefined> {
  return Promise.resolve(new OrderEventParser(new BillingConfig({ defaultCurrency: 'USD' })).parse(payload(eventId)).fingerprint);
}
