import { ArgumentsHost, Catch, Injectable, RpcExceptionFilter } from '@nestjs/common';
import { from, map, Observable, throwError } from 'rxjs';
import { PoisonMessageError } from '../common/errors';
import { deliveryOf, FetchedMessage } from './delivery';
import { RejectedEventSink } from './rejected-event.sink';
import { SettledPositions } from '../consumer-offsets/settled-positions';
import { completeIdentity } from '../observability/event-identity';
import { EventIdentity, EventOutcomeRecorder } from '../observability/event-outcome.recorder';
import { DeadLetterPublisher } from './dead-letter.publisher';
import { mustDeadLetter } from './kafka-fate';

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
    const delivery = deliveryOf(host);
    // A batch's transaction rolled back: none of its messages has an outcome yet. The retry of each of its partitions is counted (billing_event_retries_total).
    if (delivery.mode === 'batch') return throwError(() => error);
    const [message] = delivery.messages;
    if (!mustDeadLetter(error)) {
      this.outcomes.record('failed', { message, event: identityOf(error), error });
      return throwError(() => error);
    }
    return from(this.reject(message, error)).pipe(map(() => undefined));
  }

  async reject(message: FetchedMessage, error: PoisonMessageError): Promise<void> {
    await this.deadLetters.publish(message, message, error);
    await this.positions.record([message]);
    const event = completeIdentity(identityOf(error), message.value);
    this.outcomes.record(error.reason === 'conflict' ? 'conflict' : 'poison', { message, event, error });
  }
}

function identityOf(error: unknown): EventIdentity | undefined {
  if (!(error instanceof PoisonMessageError) || !error.details) return undefined;
  const text = (key: string) => (typeof error.details?.[key] === 'string' ? error.details[key] : undefined);
  return { eventId: text('event_id'), orderId: text('order_id'), tenantId: text('tenant_id') };
}
