import { ArgumentsHost, Catch, Injectable, RpcExceptionFilter } from '@nestjs/common';
import { KafkaContext } from '@nestjs/microservices';
import { from, map, Observable, throwError } from 'rxjs';
import { PoisonMessageError } from '../common/errors';
import { BatchMessage, EventBatch } from './event-batch';
import { RejectedEventSink } from './rejected-event.sink';
import { SettledPositions } from '../consumer-offsets/settled-positions';
import { completeIdentity } from '../observability/event-identity';
import { EventIdentity, EventOutcomeRecorder, MessageCoordinates } from '../observability/event-outcome.recorder';
import { DeadLetterPublisher, OriginalMessage } from './dead-letter.publisher';
import { coordinatesOf } from './kafka-message';

/**
 * The one place that decides the fate of a failed message. Poison can never succeed: it goes to the
 * dead-letter topic and is then acknowledged, so it cannot block its partition. Anything else may be
 * transient: it is rethrown, so the offset is not committed and Kafka redelivers it (a whole batch, in
 * batch mode; poison inside a batch reaches reject() instead).
 */
@Catch()
@Injectable()
export class ConsumerExceptionFilter implements RpcExceptionFilter, RejectedEventSink {
  constructor(
    private readonly deadLetters: DeadLetterPublisher,
    private readonly outcomes: EventOutcomeRecorder,
    private readonly positions: SettledPositions,
  ) {}

  catch(error: unknown, host: ArgumentsHost): Observable<void> {
    const data = host.switchToRpc().getData<unknown>();
    if (data instanceof EventBatch) return this.failBatch(error, data);
    const context = host.switchToRpc().getContext<KafkaContext>();
    const message = coordinatesOf(context);
    if (!(error instanceof PoisonMessageError)) {
      this.outcomes.record('failed', { message, event: identityOf(error), error });
      return throwError(() => error);
    }
    return from(this.reject(context.getMessage() as unknown as OriginalMessage, message, error)).pipe(map(() => undefined));
  }

  async reject(original: OriginalMessage | BatchMessage, source: MessageCoordinates, error: PoisonMessageError): Promise<void> {
    await this.deadLetters.publish(original, source, error);
    await this.positions.record([source]);
    const event = completeIdentity(identityOf(error), original.value);
    this.outcomes.record(error.reason === 'conflict' ? 'conflict' : 'poison', { message: source, event, error });
  }

  private failBatch(error: unknown, batch: EventBatch): Observable<void> {
    for (const { topic, partition, offset } of batch.messages) this.outcomes.record('failed', { message: { topic, partition, offset }, error });
    return throwError(() => error);
  }
}

function identityOf(error: unknown): EventIdentity | undefined {
  if (!(error instanceof PoisonMessageError) || !error.details) return undefined;
  const text = (key: string) => (typeof error.details?.[key] === 'string' ? (error.details[key]) : undefined);
  return { eventId: text('event_id'), orderId: text('order_id'), tenantId: text('tenant_id') };
}
