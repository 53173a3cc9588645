import { Injectable } from '@nestjs/common';
import { TransactionRunner } from '../database/transaction-runner';
import { IdempotentEvent } from './idempotent-event';

export type ClaimResult =
  | { kind: 'claimed' }
  | { kind: 'already_claimed'; fingerprint: string; firstProcessedAt: Date };

/** A claim row that vanished between our insert and our read: a purge raced us; retrying settles it. */
export class ClaimRaceError extends Error {
  readonly code = 'idempotency.claim_race';
}

@Injectable()
export class ProcessedEventsRepository {
  constructor(private readonly transactions: TransactionRunner) {}

  /** Atomic claim: of all concurrent deliveries of one event_id, exactly one insert returns a row. */
  async claim(event: IdempotentEvent): Promise<ClaimResult> {
    const manager = this.transactions.manager();
    const inserted: unknown[] = await manager.query(
      `INSERT INTO processed_events (event_id, fingerprint) VALUES ($1, $2)
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [event.eventId, event.fingerprint],
    );
    if (inserted.length > 0) return { kind: 'claimed' };
    const existing: { fingerprint: string; processed_at: Date }[] = await manager.query(
      `SELECT fingerprint, processed_at FROM processed_events WHERE event_id = $1`,
      [event.eventId],
    );
    if (existing.length === 0) throw new ClaimRaceError(`claim for ${event.eventId} vanished while being read`);
    return { kind: 'already_claimed', fingerprint: existing[0].fingerprint, firstProcessedAt: existing[0].processed_at };
  }
}
