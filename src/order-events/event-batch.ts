import { IdempotentEvent } from '../idempotency/idempotent-event';

/** One message of a batch, with its original bytes: a rejected one goes to the dead-letter topic untouched. */
export interface BatchMessage {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, unknown>;
  topic: string;
  partition: number;
  offset: string;
}

export class BatchNotAdmittedError extends Error {
  readonly code = 'idempotency.batch_not_admitted';
}

/**
 * Messages fetched together (from one or several partitions), handled in one transaction. The
 * interceptor admits the events it claimed; the handler only ever sees those.
 */
export class EventBatch {
  private admittedEvents?: readonly IdempotentEvent[];

  constructor(readonly messages: readonly BatchMessage[]) {}

  admit(events: readonly IdempotentEvent[]): void {
    this.admittedEvents = events;
  }

  admitted<T extends IdempotentEvent>(): readonly T[] {
    if (!this.admittedEvents) throw new BatchNotAdmittedError('a batch handler ran without the idempotency interceptor');
    return this.admittedEvents as readonly T[];
  }
}
