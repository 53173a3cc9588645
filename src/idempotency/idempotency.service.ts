import { Injectable } from '@nestjs/common';
import { EventConflictError, PoisonMessageError } from '../common/errors';
import { CommitFaultHook, NoCommitFault } from '../common/commit-fault-hook';
import { TransactionRunner } from '../database/transaction-runner';
import { IdempotentEvent } from './idempotent-event';
import { BatchClaimResult, ProcessedEventsRepository } from './processed-events.repository';

export type IdempotentResult<T> = { kind: 'processed'; result: T } | { kind: 'duplicate'; firstProcessedAt: Date };

/** An event that can never succeed: a reused event_id, or data that the work (or the database) refused. */
export type BatchDecision<T> = IdempotentResult<T> | { kind: 'rejected'; error: PoisonMessageError };

/** More writes that commit with the decisions or not at all (e.g. where the consumer resumes). */
export type InTransaction<T> = (decisions: readonly BatchDecision<T>[]) => Promise<void>;

/** What runs for the claimed events inside the claim's transaction: one result or refusal per event, in order. */
export type Work<E extends IdempotentEvent, T> = (claimed: readonly E[]) => Promise<readonly (T | EventRefusal)[]>;

/**
 * What work answers for a claimed event it refuses (e.g. an event_id whose purged claim left an invoice with
 * other billing fields): the claim is released in the same transaction, and the event is rejected.
 */
export class EventRefusal {
  constructor(readonly error: PoisonMessageError) {}
}

@Injectable()
export class IdempotencyService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly processedEvents: ProcessedEventsRepository,
    private readonly commitFault: CommitFaultHook = new NoCommitFault(),
  ) {}

  /**
   * Claims the events and runs the work in one transaction: both commit, or neither does and the redelivery finds
   * no claim. The distinct events are claimed with one statement and the work runs once, for those claimed,
   * returning one result (or refusal) per claimed event, in order. A replay is skipped; a reused event_id with
   * other fields is a conflict. Decisions come back in input order.
   */
  async runBatchOnce<E extends IdempotentEvent, T>(events: readonly E[], work: Work<E, T>, alsoInTransaction?: InTransaction<T>): Promise<BatchDecision<T>[]> {
    if (events.length === 0) return [];
    const decisions = await this.transactions.run(async () => {
      const decided = await this.claimAndWork(events, work);
      await alsoInTransaction?.(decided);
      return decided;
    });
    if (decisions.some((d) => d.kind === 'processed')) this.commitFault.afterCommit();
    return decisions;
  }

  private async claimAndWork<E extends IdempotentEvent, T>(events: readonly E[], work: Work<E, T>): Promise<BatchDecision<T>[]> {
    const distinct = firstDeliveries(events);
    const claims = await this.processedEvents.claimMany(distinct);
    const claimed = distinct.filter((e) => claims.get(e.eventId)?.kind === 'claimed');
    const results = claimed.length > 0 ? await work(claimed) : [];
    const refused = claimed.filter((_event, i) => results[i] instanceof EventRefusal);
    if (refused.length > 0) await this.processedEvents.release(refused);
    const decisions = decideBatch(events, claims, claimed, results);
    return refused.length > 0 ? this.redecideCopiesOfRefused(refused, events, decisions, work) : decisions;
  }

  /**
   * A later copy of a refused event may carry the very fields its invoice was made from (a reuse and the
   * genuine redelivery in one batch): with the claim released, the copies are decided afresh.
   */
  private async redecideCopiesOfRefused<E extends IdempotentEvent, T>(
    refused: readonly E[],
    events: readonly E[],
    decisions: BatchDecision<T>[],
    work: Work<E, T>,
  ): Promise<BatchDecision<T>[]> {
    const refusedIds = new Set(refused.map((e) => e.eventId));
    const isCopy = (event: E) => refusedIds.has(event.eventId) && !refused.includes(event);
    const copies = events.filter(isCopy);
    if (copies.length === 0) return decisions;
    const again = await this.claimAndWork(copies, work);
    let next = 0;
    return events.map((event, i) => (isCopy(event) ? again[next++] : decisions[i]));
  }
}

function firstDeliveries<E extends IdempotentEvent>(events: readonly E[]): E[] {
  const first = new Map<string, E>();
  for (const event of events) if (!first.has(event.eventId)) first.set(event.eventId, event);
  return [...first.values()];
}

/**
 * Within a batch the first delivery of an event_id is the one processed; a later copy is a duplicate of
 * it, or a conflict when its billing fields differ from what was (or is being) claimed.
 */
export function decideBatch<E extends IdempotentEvent, T>(
  events: readonly E[],
  claims: ReadonlyMap<string, BatchClaimResult>,
  claimed: readonly E[],
  results: readonly (T | EventRefusal)[],
): BatchDecision<T>[] {
  if (results.length !== claimed.length) throw new Error(`batch work returned ${results.length} results for ${claimed.length} events`);
  const processedBy = new Map(claimed.map((event, i) => [event.eventId, { event, result: results[i] }] as const));
  return events.map((event): BatchDecision<T> => {
    const claim = claims.get(event.eventId);
    if (!claim) throw new Error(`no claim decision for ${event.eventId}`);
    if (claim.kind === 'already_claimed') return replayOf(event, claim.fingerprint, claim.firstProcessedAt);
    const processed = processedBy.get(event.eventId);
    if (!processed) throw new Error(`claimed event ${event.eventId} was not processed`);
    if (processed.event === event) {
      return processed.result instanceof EventRefusal ? { kind: 'rejected', error: processed.result.error } : { kind: 'processed', result: processed.result };
    }
    return replayOf(event, processed.event.fingerprint, claim.processedAt);
  });
}

function replayOf<T>(event: IdempotentEvent, claimedFingerprint: string, firstProcessedAt: Date): BatchDecision<T> {
  return claimedFingerprint === event.fingerprint
    ? { kind: 'duplicate', firstProcessedAt }
    : { kind: 'rejected', error: new EventConflictError(event.eventId) };
}
