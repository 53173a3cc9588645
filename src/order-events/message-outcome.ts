import { PoisonMessageError } from '../common/errors';
import { EventOutcome } from '../observability/event-outcome';

/** What the flow decided for one message, once its transaction committed or its dead letter went out. */
export type MessageOutcome =
  | { readonly kind: 'invoiced' }
  /** Another event_id already invoiced this order: nothing new is billed. */
  | { readonly kind: 'duplicate_order' }
  /** This event_id was processed before (firstProcessedAt is unknown when its claim had been purged). */
  | { readonly kind: 'duplicate'; readonly firstProcessedAt?: Date }
  /** Poison or a reused event_id: dead-lettered, never retried. */
  | { readonly kind: 'rejected'; readonly error: PoisonMessageError };

/** The label of billing_events_total and of the message's log line. */
export function outcomeLabel(outcome: MessageOutcome): EventOutcome {
  if (outcome.kind !== 'rejected') return outcome.kind;
  return outcome.error.reason === 'conflict' ? 'conflict' : 'poison';
}
