import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { PoisonMessageError, RejectedByDatabaseError } from '../common/errors';
import { traceparentOf } from '../kafka/traceparent';
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
import { mustDeadLetter } from './kafka-fate';
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

/** What became of a consumed batch: one outcome per message, in the batch's order. */
export interface FlowReport {
  readonly outcomes: readonly MessageOutcome[];
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

    // 1. Parse each message once. What cannot be parsed is poison: never claimed, dead-lettered in step 6.
    const parsed = messages.map((message) => this.parse(message));
    this.nameTheEventOfASingleMessage(parsed);

    // 2-5. Claim, invoice with the outbox rows, store the positions and commit, in one transaction (commitGroup);
    // events whose data PostgreSQL refuses are set apart by halving, so every other event commits.
    const decisions = await isolatingRefusedEvents(parsed.filter(isParsed), (group) => this.commitGroup(group, frontier, started));

    // 6. After the commits: dead letters in offset order, each out before the batch is acknowledged; then the
    // partitions that had any may resume past them.
    const outcomes = outcomesInOrder(parsed, decisions);
    const rejected = outcomes.flatMap((outcome, i) => (outcome.kind === 'rejected' ? [{ message: messages[i], error: outcome.error }] : []));
    for (const { message, error } of rejected) await this.deadLetter(message, error);
    if (rejected.length > 0) await this.positions.record(frontier.lastSettledWith(messages));
    return { outcomes };
  }

  /** Steps 2 to 5 for one group of events, in one transaction; their outcomes are counted once it committed. */
  private async commitGroup(group: readonly ParsedMessage[], frontier: PartitionFrontier<FetchedMessage>, started: number): Promise<Decision[]> {
    const settled: FetchedMessage[] = [];
    const decided = await this.tracing.inSpan(CLAIM_SPAN, claimAttributes(group.length), () =>
      this.idempotency.runBatchOnce(
        // 2. Claim each event_id: a replay is skipped, a reused event_id with other billing fields is a conflict.
        group.map(({ event }) => event),
        // 3. Invoice the events claimed, each with its invoice.created outbox row.
        (claimed) => this.invoices.invoiceOrders(claimed),
        // 4. Store where each partition resumes: past every message settled here.
        (inTransaction) => {
          settled.push(...group.filter((_item, i) => inTransaction[i].kind !== 'rejected').map(({ message }) => message));
          return this.positions.record(frontier.lastSettledWith(settled));
        },
      ),
    );
    // 5. Committed: only now do these events have an outcome.
    frontier.markSettled(settled);
    this.recordCommitted(group, decided, started);
    return decided;
  }

  private parse(message: FetchedMessage): ParsedMessage | PoisonMessage {
    try {
      return { message, event: { ...this.parser.parse(message.value), traceparent: traceparentOf(message.headers) } };
    } catch (error) {
      if (mustDeadLetter(error)) return { message, poison: error };
      throw error;
    }
  }

  /** A consumer span of one message (KAFKA_BATCH_MAX_EVENTS=1) carries its event_id. */
  private nameTheEventOfASingleMessage(parsed: readonly (ParsedMessage | PoisonMessage)[]): void {
    if (parsed.length === 1 && isParsed(parsed[0])) this.tracing.annotate({ 'billing.event_id': parsed[0].event.eventId });
  }

  private recordCommitted(group: readonly ParsedMessage[], decisions: readonly Decision[], started: number): void {
    const finished = this.clock.now().getTime();
    group.forEach(({ message, event }, i) => {
      const outcome = outcomeOf(decisions[i]);
      if (outcome.kind === 'rejected') return;
      const duplicateAgeMs = outcome.kind === 'duplicate' && outcome.firstProcessedAt ? finished - outcome.firstProcessedAt.getTime() : undefined;
      this.outcomes.record(outcomeLabel(outcome), { message, event, durationMs: finished - started, duplicateAgeMs });
    });
  }

  private async deadLetter(message: FetchedMessage, error: PoisonMessageError): Promise<void> {
    await this.deadLetters.publish(message, message, error);
    await this.positions.record([message]);
    this.outcomes.record(outcomeLabel({ kind: 'rejected', error }), { message, event: completeIdentity(identityOf(error), message.value), error });
  }
}

type Decision = BatchDecision<InvoiceOutcome>;

/** Every message's outcome in the batch's order: poison as parsed, the events as their transactions decided. */
function outcomesInOrder(parsed: readonly (ParsedMessage | PoisonMessage)[], decisions: readonly Decision[]): MessageOutcome[] {
  let next = 0;
  return parsed.map((item) => (isParsed(item) ? outcomeOf(decisions[next++]) : { kind: 'rejected', error: item.poison }));
}

function isParsed(item: ParsedMessage | PoisonMessage): item is ParsedMessage {
  return 'event' in item;
}

/**
 * Runs `commit` on the events, and where PostgreSQL refuses the data of some event, on each half in order until the
 * refused ones stand alone: only they are rejected. The first half commits before the second starts, so each
 * partition stays in order.
 */
async function isolatingRefusedEvents(items: readonly ParsedMessage[], commit: (group: readonly ParsedMessage[]) => Promise<Decision[]>): Promise<Decision[]> {
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

function outcomeOf(decision: Decision): MessageOutcome {
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
