import { IdempotentResult } from '../idempotency/idempotency.service';
import { EventOutcome } from '../observability/event-outcome';

/** What an idempotent run amounts to for the outcome metrics: a handler may answer 'duplicate_order' or 'duplicate'. */
export function outcomeOf(result: IdempotentResult<unknown>): EventOutcome {
  if (result.kind === 'duplicate') return 'duplicate';
  return result.result === 'duplicate_order' || result.result === 'duplicate' ? result.result : 'invoiced';
}
