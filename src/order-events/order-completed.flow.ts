import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { PoisonMessageError, RejectedByDatabaseError } from '../common/errors';
import { traceparentOf } from '../common/traceparent';
import { PartitionFrontier, SettledPositions } from '../consumer-offsets/settled-positions';
import { BatchDecision, IdempotencyService } from '../idempotency/idempotency.service';
import { InvoiceOutcome } from '../invoices/invoice-outcome';
import { InvoicesService } from '../invoices/invoices.service';
import { completeIdentity } from '../observability/event-identity';
import { EventIdentity, EventOutcomeRecorder } from '../observability/event-outcome.recorder';
import { Tracing } from '../tracing/tracing';
import { CLAIM_SPAN, claimAttributes } from './claim-span';
import { ConsumedBatch, FetchedMessage } from './consumed-batch';
import { DeadLetterPublisher } from './dead-letter.publisher';
import { MessageOutcome, outcomeLabel } from './message-outcome';
import { OrderEventParser, ParsedOrderCompleted } from './order-event.parser';

interface ParsedMessage {
  readonly message: FetchedMessage;
  readonly event: ParsedOrderCompleted;
}

interface PoisonMessage {
  readonly message: FetchedMessage;
  readonly poison: PoisonMessageError;
}

/** What became of a consumed batch; every message has exactly one outcome, in the batch's order. */
export interface FlowReport {
  readonly outcomes: readonly MessageOutcome[];
  /** Events claimed (and so invoiced or found invoiced) in transactions that committed. */
  readonly claimed: number;
}

/**
 * The exactly-once flow of `order.completed`, top to bottom in `process()`. Kafka delivers at least once; an
 * event becomes an invoice once because its claim, its invoice with the outbox row, and the position its
 * partition resumes from commit in one transaction. A failure before the commit throws and nothing is
 * acknowledged (the transport retries the partitions); only what can never succeed is dead-lettered.
 */
@Injectable()
export class OrderCompletedFlow {
  constructor(
    private readonly parser: OrderEventParser,
    private readonly idempotency: IdempotencyService,
    private readonly invoices: InvoicesService,
    private readonly positions: SettledPositions,
    private readonly deadLetters: DeadLetterPublisher,
    private readonly outcomes: EventOutcomeRecorder,
    private readonly clock: Clock,
    private readonly tracing: Tracing,
  ) {}

  async process({ messages }: ConsumedBatch): Promise<FlowReport> {
    const started = this.clock.now().getTime();
    const frontier = new PartitionFrontier(messages);
    let claimed = 0;

    // 1. Parse each message once. What cannot be parsed is poison: never claimed, dead-lettered in step 6.
    const parsed = messages.map((message) => this.parse(message));
    if (parsed.length === 1 && isParsed(parsed[0])) this.tracing.annotate({ 'billing.event_id': parsed[0].event.eventId });

    // 2-5. In one transaction: claim the event_ids, invoice the events claimed (each invoice with its outbox row),
    // store where each partition resumes, commit. Events whose data PostgreSQL refuses are set apart by halving.
    const decisions = await isolatingRefusedEvents(parsed.filter(isParsed), async (group) => {
      const settled: FetchedMessage[] = [];
      let claimedHere = 0;
      const decided = await this.tracing.inSpan(CLAIM_SPAN, claimAttributes(group.length), () =>
        this.idempotency.runBatchOnce(
          group.map(({ event }) => event),
          (claimedEvents) => {
            claimedHere += claimedEvents.length;
            return this.invoices.invoiceOrders(claimedEvents);
          },
          (inTransaction) => {
            settled.push(...group.filter((_item, i) => inTransaction[i].kind !== 'rejected').map(({ message }) => message));
            return this.positions.record(frontier.lastSettledWith(settled));
          },
        ),
      );
      // Committed: only now do these events have an outcome.
      frontier.markSettled(settled);
      claimed += claimedHere;
      this.recordCommitted(group, decided, started);
      return decided;
    });

    // 6. After the commits: dead letters in offset order, each out before the batch is acknowledged; then the
    // partitions that had any may resume past them.
    const outcomes = await this.deadLetterRejected(parsed, decisions);
    if (outcomes.some((outcome) => outcome.kind === 'rejected')) await this.positions.record(frontier.lastSettledWith(messages));
    return { outcomes, claimed };
  }

  private parse(message: FetchedMessage): ParsedMessage | PoisonMessage {
    try {
      return { message, event: { ...this.parser.parse(message.value), traceparent: traceparentOf(message.headers) } };
    } catch (error) {
      if (error instanceof PoisonMessageError) return { message, poison: error };
      throw error;
    }
  }

  private recordCommitted(group: readonly ParsedMessage[], decisions: readonly BatchDecision<InvoiceOutcome>[], started: number): void {
    const finished = this.clock.now().getTime();
    group.forEach(({ message, event }, i) => {
      const outcome = outcomeOf(decisions[i]);
      if (outcome.kind === 'rejected') return;
      const duplicateAgeMs = outcome.kind === 'duplicate' && outcome.firstProcessedAt ? finished - outcome.firstProcessedAt.getTime() : undefined;
      this.outcomes.record(outcomeLabel(outcome), { message, event, durationMs: finished - started, duplicateAgeMs });
    });
  }

  private async deadLetterRejected(
    parsed: readonly (ParsedMessage | PoisonMessage)[],
    decisions: readonly BatchDecision<InvoiceOutcome>[],
  ): Promise<MessageOutcome[]> {
    const outcomes: MessageOutcome[] = [];
    let next = 0;
    for (const item of parsed) {
      const outcome: MessageOutcome = isParsed(item) ? outcomeOf(decisions[next++]) : { kind: 'rejected', error: item.poison };
      if (outcome.kind === 'rejected') await this.deadLetter(item.message, outcome.error);
      outcomes.push(outcome);
    }
    return outcomes;
  }

  private async deadLetter(message: FetchedMessage, error: PoisonMessageError): Promise<void> {
    await this.deadLetters.publish(message, message, error);
    await this.positions.record([message]);
    this.outcomes.record(outcomeLabel({ kind: 'rejected', error }), { message, event: completeIdentity(identityOf(error), message.value), error });
  }
}

function isParsed(item: ParsedMessage | PoisonMessage): item is ParsedMessage {
  return 'event' in item;
}

/**
 * Runs `commit` on the events, and where PostgreSQL refuses the data of some event, on each half in order until the
 * refused ones stand alone: only they are rejected. The first half commits before the second starts, so each
 * partition stays in order.
 */
async function isolatingRefusedEvents(
  items: readonly ParsedMessage[],
  commit: (group: readonly ParsedMessage[]) => Promise<BatchDecision<InvoiceOutcome>[]>,
): Promise<BatchDecision<InvoiceOutcome>[]> {
  if (items.length === 0) return [];
  try {
    return await commit(items);
  } catch (error) {
    if (!(error instanceof RejectedByDatabaseError)) throw error;
    if (items.length === 1) return [{ kind: 'rejected', error }];
    const middle = Math.ceil(items.length / 2);
    const first = await isolatingRefusedEvents(items.slice(0, middle), commit);
    return [...first, ...(await isolatingRefusedEvents(items.slice(middle), commit))];
  }
}

function outcomeOf(decision: BatchDecision<InvoiceOutcome>): MessageOutcome {
  switch (decision.kind) {
    case 'rejected':
      return { kind: 'rejected', error: decision.error };
    case 'duplicate':
      return { kind: 'duplicate', firstProcessedAt: decision.firstProcessedAt };
    case 'processed':
      return { kind: decision.result };
  }
}

function identityOf(error: PoisonMessageError): EventIdentity | undefined {
  if (!error.details) return undefined;
  const text = (key: string) => (typeof error.details?.[key] === 'string' ? error.details[key] : undefined);
  return { eventId: text('event_id'), orderId: text('order_id'), tenantId: text('tenant_id') };
}
