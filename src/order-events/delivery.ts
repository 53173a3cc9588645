import { ArgumentsHost } from '@nestjs/common';
import { traceparentOf } from '../common/traceparent';
import { IdempotentEvent, IdempotentEventParser } from '../idempotency/idempotent-event';

/** One fetched message with its original bytes: a rejected one goes to the dead-letter topic untouched. */
export interface FetchedMessage {
  readonly key: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** Set on the last message of a fetch that ends in transaction markers or aborted messages: the last of those. */
  readonly settlesThrough?: string;
}

/** What a handler is given: the events claimed in one transaction, parsed and validated, in order. */
export interface EventBatch<E extends IdempotentEvent = IdempotentEvent> {
  readonly events: readonly E[];
}

export function eventBatchOf<E extends IdempotentEvent>(events: readonly E[]): EventBatch<E> {
  return Object.freeze({ events: Object.freeze([...events]) });
}

export class EventsNotHandedOverError extends Error {
  readonly code = 'idempotency.batch_not_admitted';
}

/**
 * What the Kafka transport dispatches: the fetched messages as they came, one (`message` mode) or a group of
 * partitions' batches (`batch` mode). The idempotency interceptor parses each message once and, for each
 * transaction, hands over the events it claimed; the handler takes them with @ClaimedEvent() or @ClaimedBatch().
 */
export class Delivery {
  private claimed?: EventBatch;

  constructor(
    readonly mode: 'message' | 'batch',
    readonly messages: readonly FetchedMessage[],
  ) {}

  handOver(batch: EventBatch): void {
    this.claimed = batch;
  }

  claimedEvents(): EventBatch {
    if (!this.claimed) throw new EventsNotHandedOverError('an event handler ran without the idempotency interceptor');
    return this.claimed;
  }
}

export function deliveryOf(host: ArgumentsHost): Delivery {
  const data = host.switchToRpc().getData<unknown>();
  if (!(data instanceof Delivery)) throw new TypeError('the Kafka transport dispatches a Delivery');
  return data;
}

/** The one parse of a message: a validated event carrying its delivery's trace context, or PoisonMessageError. */
export function parseMessage<E extends IdempotentEvent>(parser: IdempotentEventParser<E>, message: FetchedMessage): E {
  return { ...parser.parse(message.value), traceparent: traceparentOf(message.headers) };
}
