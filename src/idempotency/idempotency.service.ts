import { Injectable } from '@nestjs/common';
import { EventConflictError } from '../common/errors';
import { TransactionRunner } from '../database/transaction-runner';
import { IdempotentEvent } from './idempotent-event';
import { ProcessedEventsRepository } from './processed-events.repository';

export type IdempotentResult<T> =
  | { kind: 'processed'; result: T }
  | { kind: 'duplicate'; firstProcessedAt: Date };

@Injectable()
export class IdempotencyService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly processedEvents: ProcessedEventsRepository,
  ) {}

  /**
   * Claims the event and runs the work in one transaction: both commit, or neither does and the
   * redelivery finds no claim. A replay is skipped; a reused event_id with other fields is a conflict.
   */
  runOnce<T>(event: IdempotentEvent, work: () => Promise<T>): Promise<IdempotentResult<T>> {
    return this.transactions.run(async () => {
      const claim = await this.processedEvents.claim(event);
      if (claim.kind === 'already_claimed') {
        if (claim.fingerprint !== event.fingerprint) throw new EventConflictError(event.eventId);
        return { kind: 'duplicate', firstProcessedAt: claim.firstProcessedAt };
      }
      return { kind: 'processed', result: await work() };
    });
  }
}
