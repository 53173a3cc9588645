import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { from, lastValueFrom, Observable } from 'rxjs';
import { Clock } from '../common/clock';
import { EventOutcome, EventOutcomeRecorder } from '../observability/event-outcome.recorder';
import { deliveryOf, eventBatchOf, parseMessage } from './delivery';
import { IdempotentEventParser } from '../idempotency/idempotent-event';
import { SettledPositions } from '../consumer-offsets/settled-positions';
import { outcomeOf } from './outcome-of';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { Tracing } from '../tracing/tracing';
import { CLAIM_SPAN, claimAttributes } from './claim-span';

/**
 * Wraps an event handler so that the claim of event_id and everything the handler writes share one
 * transaction. The message is parsed here, once, and the event handed to the handler (@ClaimedEvent()).
 * A skipped duplicate resolves with a value: an empty stream would make the Kafka transport throw
 * EmptyError and redeliver it forever.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly parser: IdempotentEventParser,
    private readonly idempotency: IdempotencyService,
    private readonly outcomes: EventOutcomeRecorder,
    private readonly clock: Clock,
    private readonly positions: SettledPositions,
    private readonly tracing: Tracing,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<EventOutcome> {
    return from(this.process(context, next));
  }

  private async process(context: ExecutionContext, next: CallHandler): Promise<EventOutcome> {
    const started = this.clock.now().getTime();
    const delivery = deliveryOf(context);
    const [message] = delivery.messages;
    const event = parseMessage(this.parser, message);
    this.tracing.annotate({ 'billing.event_id': event.eventId });
    const result = await this.tracing.inSpan(CLAIM_SPAN, claimAttributes(1), () =>
      this.idempotency.runOnce(
        event,
        () => {
          delivery.handOver(eventBatchOf([event]));
          return lastValueFrom(next.handle(), { defaultValue: undefined });
        },
        // A rejected event's position is stored only once its dead letter is out (ConsumerExceptionFilter.reject):
        // stored here, a crash before the send would resume past it and the dead letter would never be written.
        ([decision]) => (decision.kind === 'rejected' ? Promise.resolve() : this.positions.record([message])),
      ),
    );
    // Committed: only now is there an outcome to count.
    const finished = this.clock.now().getTime();
    const outcome = outcomeOf(result);
    this.outcomes.record(outcome, {
      message,
      event,
      durationMs: finished - started,
      duplicateAgeMs: result.kind === 'duplicate' ? finished - result.firstProcessedAt.getTime() : undefined,
    });
    return outcome;
  }
}
