import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { from, lastValueFrom, Observable } from 'rxjs';
import { Clock } from '../common/clock';
import { PoisonMessageError, RejectedByDatabaseError } from '../common/errors';
import { traceparentOf } from '../common/traceparent';
import { EventOutcomeRecorder, MessageCoordinates } from '../observability/event-outcome.recorder';
import { BatchMessage, EventBatch } from './event-batch';
import { IdempotentEvent, IdempotentEventParser } from '../idempotency/idempotent-event';
import { BatchDecision, IdempotencyService } from '../idempotency/idempotency.service';
import { outcomeOf } from './outcome-of';
import { RejectedEventSink } from './rejected-event.sink';
import { PartitionFrontier, SettledPositions } from '../consumer-offsets/settled-positions';

interface Group {
  batch: EventBatch;
  next: CallHandler;
  claimed: number;
  frontier: PartitionFrontier<BatchMessage>;
  messageOf: ReadonlyMap<IdempotentEvent, BatchMessage>;
}

type ParsedMessage = { message: BatchMessage; event: IdempotentEvent } | { message: BatchMessage; poison: PoisonMessageError };

export interface BatchSummary {
  messages: number;
  claimed: number;
}

/**
 * The batch form of IdempotencyInterceptor: the same decision for every message, with one claim
 * statement and one transaction for the whole batch. Poison and conflicts are handed to the
 * RejectedEventSink only after the transaction commits; a failure rethrows, so nothing is acknowledged.
 * When PostgreSQL refuses the data of some event, the batch is split in halves, in order, until the
 * refused events stand alone: only they are rejected, and every other event commits.
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
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<BatchSummary> {
    return from(this.process(context.switchToRpc().getData<EventBatch>(), next));
  }

  private async process(batch: EventBatch, next: CallHandler): Promise<BatchSummary> {
    const started = this.clock.now().getTime();
    const parsed = batch.messages.map((message) => this.parse(message));
    const events = parsed.flatMap((p) => ('event' in p ? [p.event] : []));
    const group: Group = { batch, next, claimed: 0, frontier: new PartitionFrontier(batch.messages), messageOf: new Map(parsed.flatMap((p) => ('event' in p ? [[p.event, p.message] as const] : []))) };
    const decisions = await this.decideIsolatingRefusals(events, group);
    const rejected = await this.settle(parsed, decisions, started);
    // Dead letters are out now: the partitions that had any may resume after their last message.
    if (rejected > 0) await this.positions.record(group.frontier.lastSettledWith(batch.messages));
    return { messages: batch.messages.length, claimed: group.claimed };
  }

  /** Halves keep their order and the first commits before the second starts, so each partition stays in order. */
  private async decideIsolatingRefusals(events: readonly IdempotentEvent[], group: Group): Promise<BatchDecision<unknown>[]> {
    try {
      const settledHere: BatchMessage[] = [];
      const decisions = await this.idempotency.runBatchOnce(
        events,
        async (admitted) => {
          group.batch.admit(admitted);
          const results = handlerResults(await lastValueFrom(group.next.handle(), { defaultValue: undefined }));
          group.claimed += admitted.length;
          return results;
        },
        async (decided) => {
          settledHere.push(...events.filter((_event, i) => decided[i].kind !== 'rejected').map((event) => group.messageOf.get(event) as BatchMessage));
          await this.positions.record(group.frontier.lastSettledWith(settledHere));
        },
      );
      group.frontier.markSettled(settledHere);
      return decisions;
    } catch (error) {
      if (!(error instanceof RejectedByDatabaseError)) throw error;
      if (events.length === 1) return [{ kind: 'rejected', error }];
      const middle = Math.ceil(events.length / 2);
      const first = await this.decideIsolatingRefusals(events.slice(0, middle), group);
      return [...first, ...(await this.decideIsolatingRefusals(events.slice(middle), group))];
    }
  }

  private parse(message: BatchMessage): ParsedMessage {
    try {
      const event = this.parser.parse(message.value);
      event.traceparent = traceparentOf(message.headers);
      return { message, event };
    } catch (error) {
      if (error instanceof PoisonMessageError) return { message, poison: error };
      throw error;
    }
  }

  /** Rejections go out in offset order, each before the batch is acknowledged. Returns how many there were. */
  private async settle(parsed: ParsedMessage[], decisions: BatchDecision<unknown>[], started: number): Promise<number> {
    const finished = this.clock.now().getTime();
    let next = 0;
    let rejected = 0;
    for (const item of parsed) {
      const { topic, partition, offset } = item.message;
      const source: MessageCoordinates = { topic, partition, offset };
      if ('poison' in item) {
        rejected += 1;
        await this.rejections.reject(item.message, source, item.poison);
        continue;
      }
      const decision = decisions[next++];
      if (decision.kind === 'rejected') {
        rejected += 1;
        await this.rejections.reject(item.message, source, decision.error);
        continue;
      }
      this.outcomes.record(outcomeOf(decision), {
        message: source,
        event: item.event,
        durationMs: finished - started,
        duplicateAgeMs: decision.kind === 'duplicate' ? finished - decision.firstProcessedAt.getTime() : undefined,
      });
    }
    return rejected;
  }
}

function handlerResults(value: unknown): readonly unknown[] {
  if (!Array.isArray(value)) throw new TypeError('a batch handler must return one result per admitted event');
  return value;
}
