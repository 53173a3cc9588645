import { IdempotentEvent } from '../../src/idempotency/idempotent-event';
import { BatchClaimResult, ProcessedEventsRepository } from '../../src/idempotency/processed-events.repository';
import { mockOf } from './builders';

/** A unit-test double of ProcessedEventsRepository: a row per event_id, first writer wins. */
export class InMemoryClaims {
  readonly rows = new Map<string, { fingerprint: string; processedAt: Date }>();
  statements = 0;

  constructor(private readonly claimedAt: Date) {}

  claimMany(events: readonly IdempotentEvent[]): Promise<Map<string, BatchClaimResult>> {
    this.statements += 1;
    const results = new Map<string, BatchClaimResult>();
    for (const event of events) {
      const existing = this.rows.get(event.eventId);
      if (existing) {
        results.set(event.eventId, { kind: 'already_claimed', fingerprint: existing.fingerprint, firstProcessedAt: existing.processedAt });
      } else {
        this.rows.set(event.eventId, { fingerprint: event.fingerprint, processedAt: this.claimedAt });
        results.set(event.eventId, { kind: 'claimed', processedAt: this.claimedAt });
      }
    }
    return Promise.resolve(results);
  }

  release(events: readonly IdempotentEvent[]): Promise<void> {
    for (const event of events) this.rows.delete(event.eventId);
    return Promise.resolve();
  }

  asRepository(): jest.Mocked<ProcessedEventsRepository> {
    return mockOf(ProcessedEventsRepository, { claimMany: (events) => this.claimMany(events), release: (events) => this.release(events) });
  }
}
