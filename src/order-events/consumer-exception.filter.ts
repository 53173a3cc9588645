import { ArgumentsHost, Catch, Injectable, RpcExceptionFilter } from '@nestjs/common';
import { KafkaContext } from '@nestjs/microservices';
import { from, map, Observable, throwError } from 'rxjs';
import { PoisonMessageError } from '../common/errors';
import { EventIdentity, EventOutcomeRecorder } from '../observability/event-outcome.recorder';
import { DeadLetterPublisher, OriginalMessage } from './dead-letter.publisher';
import { coordinatesOf } from './kafka-message';

/**
 * The one place that decides the fate of a failed message. Poison can never succeed: it goes to the
 * dead-letter topic and is then acknowledged, so it cannot block its partition. Anything else may be
 * transient: it is rethrown, so the offset is not committed and Kafka redelivers it.
 */
@Catch()
@Injectable()
export class ConsumerExceptionFilter implements RpcExceptionFilter {
  constructor(
    private readonly deadLetters: DeadLetterPublisher,
    private readonly outcomes: EventOutcomeRecorder,
  ) {}

  catch(error: unknown, host: ArgumentsHost): Observable<void> {
    const context = host.switchToRpc().getContext<KafkaContext>();
    const message = coordinatesOf(context);
    const event = identityOf(error);
    if (!(error instanceof PoisonMessageError)) {
      this.outcomes.record('failed', { message, event, error });
      return throwError(() => error);
    }
    const original = context.getMessage() as unknown as OriginalMessage;
    return from(this.deadLetters.publish(original, message, error)).pipe(
      map(() => this.outcomes.record(error.reason === 'conflict' ? 'conflict' : 'poison', { message, event, error })),
    );
  }
}

function identityOf(error: unknown): EventIdentity | undefined {
  if (!(error instanceof PoisonMessageError) || !error.details) return undefined;
  const text = (key: string) => (typeof error.details?.[key] === 'string' ? (error.details[key]) : undefined);
  return { eventId: text('event_id'), orderId: text('order_id'), tenantId: text('tenant_id') };
}
