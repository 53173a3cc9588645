import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { KafkaContext } from '@nestjs/microservices';
import { from, lastValueFrom, Observable } from 'rxjs';
import { Clock } from '../common/clock';
import { traceparentOf } from '../common/traceparent';
import { EventOutcome, EventOutcomeRecorder } from '../observability/event-outcome.recorder';
import { coordinatesOf } from './kafka-message';
import { IdempotentEventParser } from '../idempotency/idempotent-event';
import { SettledPositions } from '../consumer-offsets/settled-positions';
import { outcomeOf } from './outcome-of';
import { IdempotencyService } from '../idempotency/idempotency.service';

/**
 * Wraps an event handler so that the claim of event_id and everything the handler writes share one
 * transaction. A skipped duplicate resolves with a value: an empty stream would make the Kafka
 * transport throw EmptyError and redeliver it forever.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly parser: IdempotentEventParser,
    private readonly idempotency: IdempotencyService,
    private readonly outcomes: EventOutcomeRecorder,
    private readonly clock: Clock,
    private readonly positions: SettledPositions,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<EventOutcome> {
    return from(this.process(context, next));
  }

  private async process(context: ExecutionContext, next: CallHandler): Promise<EventOutcome> {
    const rpc = context.switchToRpc();
    const started = this.clock.now().getTime();
    // The raw value, not the transport's deserialized data: Nest hands a tombstone on as the whole message object.
    const kafka = rpc.getContext<KafkaContext>();
    const event = this.parser.parse(kafka.getMessage().value);
    event.traceparent = traceparentOf(kafka.getMessage().headers);
    const message = coordinatesOf(kafka);
    const result = await this.idempotency.runOnce(
      event,
      () => lastValueFrom(next.handle(), { defaultValue: undefined }),
      () => this.positions.record([message]),
    );
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
