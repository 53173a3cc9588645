import { Injectable } from '@nestjs/common';
import { EventConflictError } from '../common/errors';
import { TestHooksConfig } from '../config/configuration';
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
    private readonly testHooks = new TestHooksConfig(0),
  ) {}

  private commits = 0;

  /**
   * Claims the event and runs the work in one transaction: both commit, or neither does and the
   * redelivery finds no claim. A replay is skipped; a reused event_id with other fields is a conflict.
   */
  async runOnce<T>(event: IdempotentEvent, work: () => Promise<T>): Promise<IdempotentResult<T>> {
    const result = await this.transactions.run(async (): Promise<IdempotentResult<T>> => {
      const claim = await this.processedEvents.claim(event);
      if (claim.kind === 'already_claimed') {
        if (claim.fingerprint !== event.fingerprint) throw new EventConflictError(event.eventId);
        return { kind: 'duplicate', firstProcessedAt: claim.firstProcessedAt };
      }
      return { kind: 'processed', result: await work() };
    });
    if (result.kind === 'processed') this.crashIfDue();
    return result;
  }

  /** Chaos suite only: dies after the database commit and before Kafka's offset commit, the window that must not bill twice. */
  private crashIfDue(): void {
    const every = this.testHooks.crashAfterCommitEvery;
    if (every > 0 && ++this.commits % every === 0) process.kill(process.pid, 'SIGKILL');
  }
}
