import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { from, lastValueFrom, Observable } from 'rxjs';
import { Clock } from '../common/clock';
import { PoisonMessageError, RejectedByDatabaseError } from '../common/errors';
import { traceparentOf } from '../common/traceparent';
import { EventOutcomeRecorder, MessageCoordinates } from '../observability/event-outcome.recorder';
import { BatchMessage, EventBatch } from './event-batch';
import { IdempotentEvent, IdempotentEventParser } from './idempotent-event';
import { BatchDecision, IdempotencyService, outcomeOf } from './idempotency.service';
import { RejectedEventSink } from './rejected-event.sink';

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
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<BatchSummary> {
    return from(this.process(context.switchToRpc().getData<EventBatch>(), next));
  }

  private async process(batch: EventBatch, next: CallHandler): Promise<BatchSummary> {
    const started = this.clock.now().getTime();
    const parsed = batch.messages.map((message) => this.parse(message));
    const events = parsed.flatMap((p) => ('event' in p ? [p.event] : []));
    const outcome = { claimed: 0 };
    const decisions = await this.decideIsolatingRefusals(events, batch, next, outcome);
    await this.settle(parsed, decisions, started);
    return { messages: batch.messages.length, claimed: outcome.claimed };
  }

  /** Halves keep their order and the first commits before the second starts, so each partition stays in order. */
  private async decideIsolatingRefusals(
    events: readonly IdempotentEvent[],
    batch: EventBatch,
    next: CallHandler,
    outcome: { claimed: number },
  ): Promise<BatchDecision<unknown>[]> {
    try {
      return await this.idempotency.runBatchOnce(events, async (admitted) => {
        batch.admit(admitted);
        const results = handlerResults(await lastValueFrom(next.handle(), { defaultValue: undefined }));
        outcome.claimed += admitted.length;
        return results;
      });
    } catch (error) {
      if (!(error instanceof RejectedByDatabaseError)) throw error;
      if (events.length === 1) return [{ kind: 'rejected', error }];
      const middle = Math.ceil(events.length / 2);
      const first = await this.decideIsolatingRefusals(events.slice(0, middle), batch, next, outcome);
      return [...first, ...(await this.decideIsolatingRefusals(events.slice(middle), batch, next, outcome))];
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

  /** Rejections go out in offset order, each before the batch is acknowledged. */
  private async settle(parsed: ParsedMessage[], decisions: BatchDecision<unknown>[], started: number): Promise<void> {
    const finished = this.clock.now().getTime();
    let next = 0;
    for (const item of parsed) {
      const { topic, partition, offset } = item.message;
      const source: MessageCoordinates = { topic, partition, offset };
      if ('poison' in item) {
        await this.rejections.reject(item.message, source, item.poison);
        continue;
      }
      const decision = decisions[next++];
      if (decision.kind === 'rejected') {
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
  }
}

function handlerResults(value: unknown): readonly unknown[] {
  if (!Array.isArray(value)) throw new TypeError('a batch handler must return one result per admitted event');
  return value;
}
