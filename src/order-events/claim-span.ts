import { Attributes } from '@opentelemetry/api';

/** The span of one claim transaction (BEGIN, claim, invoices, outbox rows, stored offsets, COMMIT). */
export const CLAIM_SPAN = 'billing.claim_transaction';

/** OpenTelemetry database conventions for the transaction; the statements' own spans come from the pg instrumentation. */
export function claimAttributes(eventCount: number): Attributes {
  return { 'db.system.name': 'postgresql', 'db.operation.name': 'TRANSACTION', 'billing.event_count': eventCount };
}
