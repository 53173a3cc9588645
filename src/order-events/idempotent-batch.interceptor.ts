import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { from, lastValueFrom, Observable } from 'rxjs';
import { Clock } from '../common/clock';
import { PoisonMessageError, RejectedByDatabaseError } from '../common/errors';
import { EventOutcomeRecorder } from '../observability/event-outcome.recorder';
import { Delivery, deliveryOf, eventBatchOf, FetchedMessage, parseMessage } from './delivery';
import { IdempotentEvent, IdempotentEventParser } from '../idempotency/idempotent-event';
import { BatchDecision, IdempotencyService } from '../idempotency/idempotency.service';
import { mustDeadLetter } from './kafka-fate';
import { outcomeOf } from './outcome-of';
import { RejectedEventSink } from './rejected-event.sink';
import { PartitionFrontier, SettledPositions } from '../consumer-offsets/settled-positions';
import { Tracing } from '../tracing/tracing';
import { CLAIM_SPAN, claimAttributes } from './claim-span';

interface Group {
  delivery: Delivery;
  next: CallHandler;
  started: number;
  /** Events claimed in transactions that committed. */
  claimed: number;
  frontier: PartitionFrontier<FetchedMessage>;
}

interface ParsedEvent {
  message: FetchedMessage;
  event: IdempotentEvent;
}

type ParsedMessage = ParsedEvent | { message: FetchedMessage; poison: PoisonMessageError };

export interface BatchSummary {
  messages: number;
  claimed: number;
}

/**
 * The batch form of IdempotencyInterceptor: the same decision for every message, with one claim
 * statement and one transaction for the whole batch. Each message is parsed once, here; the handler is
 * handed the claimed events as an immutable EventBatch (@ClaimedBatch()). Outcomes are recorded once a
 * transaction commits; poison and conflicts are handed to the RejectedEventSink after that; a failure
 * rethrows, so nothing is acknowledged. When PostgreSQL refuses the data of some event, the batch is split
 * in halves, in order, until the refused events stand alone: only they are rejected, and every other event commits.
 */
@Injectable()
export class IdempotentBatchInterceptor implements NestInterceptor {
  constructor(
    private readonly parser: IdempotentEventParser,
    private readonly idempotency: IdempotencyService,
    private readonly outcomes: EventOutcomeRecorder,
    private readonly clock: Clock,
    private readonly rejections: RejectedEventSink,
    private readonly positions: SettledPositions,
    private readonly tracing: Tracing,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<BatchSummary> {
    return from(this.process(deliveryOf(context), next));
  }

  private async process(delivery: Delivery, next: CallHandler): Promise<BatchSummary> {
    const { messages } = delivery;
    const group: Group = { delivery, next, started: this.clock.now().getTime(), claimed: 0, frontier: new PartitionFrontier(messages) };
    const parsed = messages.map((message) => this.parse(message));
    const decisions = await this.decideIsolatingRefusals(parsed.filter(isEvent), group);
    const rejected = await this.rejectInOrder(parsed, decisions);
    // Dead letters are out now: the partitions that had any may resume after their last message.
    if (rejected > 0) await this.positions.record(group.frontier.lastSettledWith(messages));
    return { messages: messages.length, claimed: group.claimed };
  }

  /** Halves keep their order and the first commits before the second starts, so each partition stays in order. */
  private async decideIsolatingRefusals(items: readonly ParsedEvent[], group: Group): Promise<BatchDecision<unknown>[]> {
    try {
      const settledHere: FetchedMessage[] = [];
      let claimedHere = 0;
      const decisions = await this.tracing.inSpan(CLAIM_SPAN, claimAttributes(items.length), () =>
        this.idempotency.runBatchOnce(
          items.map((item) => item.event),
          async (admitted) => {
            group.delivery.handOver(eventBatchOf(admitted));
            claimedHere += admitted.length;
            return handlerResults(await lastValueFrom(group.next.handle(), { defaultValue: undefined }));
          },
          async (decided) => {
            settledHere.push(...items.filter((_item, i) => decided[i].kind !== 'rejected').map((item) => item.message));
            await this.positions.record(group.frontier.lastSettledWith(settledHere));
          },
        ),
      );
      group.frontier.markSettled(settledHere);
      group.claimed += claimedHere;
      this.recordCommitted(items, decisions, group.started);
      return decisions;
    } catch (error) {
      if (!(error instanceof RejectedByDatabaseError)) throw error;
      if (items.length === 1) return [{ kind: 'rejected', error }];
      const middle = Math.ceil(items.length / 2);
      const first = await this.decideIsolatingRefusals(items.slice(0, middle), group);
      return [...first, ...(await this.decideIsolatingRefusals(items.slice(middle), group))];
    }
  }

  private parse(message: FetchedMessage): ParsedMessage {
    try {
      return { message, event: parseMessage(this.parser, message) };
    } catch (error) {
      if (mustDeadLetter(error)) return { message, poison: error };
      throw error;
    }
  }

  /** Outcomes of a transaction that committed; rejected events get theirs when they are dead-lettered. */
  private recordCommitted(items: readonly ParsedEvent[], decisions: readonly BatchDecision<unknown>[], started: number): void {
    const finished = this.clock.now().getTime();
    items.forEach(({ message, event }, i) => {
      const decision = decisions[i];
      if (decision.kind === 'rejected') return;
      this.outcomes.record(outcomeOf(decision), {
        message,
        event,
        durationMs: finished - started,
        duplicateAgeMs: decision.kind === 'duplicate' ? finished - decision.firstProcessedAt.getTime() : undefined,
      });
    });
  }

  /** Rejections go out in offset order, each before the batch is acknowledged. Returns how many there were. */
  private async rejectInOrder(parsed: readonly ParsedMessage[], decisions: readonly BatchDecision<unknown>[]): Promise<number> {
    let next = 0;
    let rejected = 0;
    for (const item of parsed) {
      const error = 'poison' in item ? item.poison : rejectionOf(decisions[next++]);
      if (!error) continue;
      rejected += 1;
      await this.rejections.reject(item.message, error);
    }
    return rejected;
  }
}

function isEvent(item: ParsedMessage): item is ParsedEvent {
  return 'event' in item;
}

function rejectionOf(decision: BatchDecision<unknown>): PoisonMessageError | undefined {
  return decision.kind === 'rejected' ? decision.error : undefined;
}

function handlerResults(value: unknown): readonly unknown[] {
  if (!Array.isArray(value)) throw new TypeError('a batch handler must return one result per admitted event');
  return value;
}
