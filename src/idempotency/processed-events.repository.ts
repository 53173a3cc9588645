import { Injectable } from '@nestjs/common';
import { TransactionRunner } from '../database/transaction-runner';
import { IdempotentEvent } from './idempotent-event';
import { BillingError } from '../common/errors';

export type BatchClaimResult = { kind: 'claimed'; processedAt: Date } | { kind: 'already_claimed'; fingerprint: string; firstProcessedAt: Date };

/** A claim row that vanished between our insert and our read: a purge raced us; retrying settles it. */
export class ClaimRaceError extends BillingError {
  readonly code = 'idempotency.claim_race';
}

@Injectable()
export class ProcessedEventsRepository {
  constructor(private readonly transactions: TransactionRunner) {}

  /**
   * Atomic claim: of all concurrent deliveries of one event_id, exactly one insert returns its row.
   * Claims many distinct events with one statement. Rows go in in event_id order, so two transactions
   * claiming overlapping batches lock them in the same order and cannot deadlock on each other.
   */
  async claimMany(events: readonly IdempotentEvent[]): Promise<Map<string, BatchClaimResult>> {
    const manager = this.transactions.manager();
    const sorted = [...events].sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
    const inserted: { event_id: string; processed_at: Date }[] = await manager.query(
      `INSERT INTO processed_events (event_id, fingerprint)
       SELECT * FROM unnest($1::uuid[], $2::char(64)[])
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id, processed_at`,
      [sorted.map((e) => e.eventId), sorted.map((e) => e.fingerprint)],
    );
    const results = new Map<string, BatchClaimResult>(inserted.map((row) => [row.event_id, { kind: 'claimed', processedAt: row.processed_at }]));
    const taken = sorted.filter((e) => !results.has(e.eventId)).map((e) => e.eventId);
    if (taken.length === 0) return results;
    const existing: { event_id: string; fingerprint: string; processed_at: Date }[] = await manager.query(
      `SELECT event_id, fingerprint, processed_at FROM processed_events WHERE event_id = ANY($1::uuid[])`,
      [taken],
    );
    for (const row of existing) results.set(row.event_id, { kind: 'already_claimed', fingerprint: row.fingerprint, firstProcessedAt: row.processed_at });
    const vanished = taken.find((id) => !results.has(id));
    if (vanished) throw new ClaimRaceError(`claim for ${vanished} vanished while being read`);
    return results;
  }

  /** Gives claims back inside the caller's transaction, for events the work refused. */
  async release(events: readonly IdempotentEvent[]): Promise<void> {
    await this.transactions.manager().query(`DELETE FROM processed_events WHERE event_id = ANY($1::uuid[])`, [events.map((e) => e.eventId)]);
  }
}
