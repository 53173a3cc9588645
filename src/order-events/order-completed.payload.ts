import { isIsoCurrency } from '../config/configuration';
import { orderIdProblem, realInstant, TENANT_ID, TENANT_ID_RULE } from '../common/stored-fields';
import { toCanonicalAmount } from '../invoices/money';

/** The wire format of order.completed (see contract.md); unknown fields are ignored. */
export interface OrderCompletedPayload {
  event_id: string;
  order_id: string;
  tenant_id: string;
  /** Canonical decimal string, e.g. "149.90". */
  total: string;
  currency?: string;
  /** Parsed once, here: a string that is not a real instant never gets this far. */
  occurred_at?: Date;
}

export type PayloadCheck = { payload: OrderCompletedPayload; problems?: undefined } | { problems: string[] };

/** Any UUID version, including nil and max, in its canonical 8-4-4-4-12 form (what PostgreSQL's uuid type prints). */
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Checks what PostgreSQL will store, the way it counts: lengths in code points, no NUL (text cannot hold it),
 * no lone surrogate (it would reach the database as U+FFFD, another order than the one sent).
 */
export function checkOrderCompleted(json: Record<string, unknown>): PayloadCheck {
  const problems: string[] = [];
  const eventId = json.event_id;
  if (typeof eventId !== 'string' || !UUID.test(eventId)) problems.push('event_id must be a UUID');
  const badOrderId = checkOrderId(json.order_id);
  if (badOrderId) problems.push(badOrderId);
  if (typeof json.tenant_id !== 'string' || !TENANT_ID.test(json.tenant_id)) problems.push(`tenant_id must be ${TENANT_ID_RULE}`);
  const total = toCanonicalAmount(json.total);
  if (total === null) problems.push('total must be a decimal string or JSON number >= 0 with at most 18 integer and 2 fraction digits, as written');
  const currency = json.currency ?? undefined;
  if (currency !== undefined && !(typeof currency === 'string' && isIsoCurrency(currency)))
    problems.push('currency must be an upper-case ISO 4217 code such as USD');
  const occurredAt = json.occurred_at ?? undefined;
  const instant = occurredAt === undefined ? undefined : toInstant(occurredAt);
  if (instant === null) problems.push('occurred_at must be an ISO 8601 timestamp with a time zone that denotes a real instant');
  if (problems.length > 0) return { problems };
  return {
    payload: {
      event_id: eventId as string,
      order_id: json.order_id as string,
      tenant_id: json.tenant_id as string,
      total: total as string,
      currency: currency as string | undefined,
      occurred_at: instant ?? undefined,
    },
  };
}

function checkOrderId(value: unknown): string | undefined {
  return typeof value === 'string' ? orderIdProblem(value) : 'order_id must be a string';
}

function toInstant(value: unknown): Date | null {
  return typeof value === 'string' ? realInstant(value, TIMESTAMP) : null;
}
