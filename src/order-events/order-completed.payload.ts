import { isIsoCurrency } from '../config/configuration';
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
const TENANT_ID = /^[A-Za-z0-9._-]{1,64}$/;
const MAX_ORDER_ID_CODE_POINTS = 128;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Checks what PostgreSQL will store, the way it counts: lengths in code points, no NUL (text cannot hold it),
 * no lone surrogate (it would reach the database as U+FFFD, another order than the one sent).
 */
export function checkOrderCompleted(json: Record<string, unknown>): PayloadCheck {
  const problems: string[] = [];
  const eventId = json.event_id;
  if (typeof eventId !== 'string' || !UUID.test(eventId)) problems.push('event_id must be a UUID');
  const orderIdProblem = checkOrderId(json.order_id);
  if (orderIdProblem) problems.push(orderIdProblem);
  if (typeof json.tenant_id !== 'string' || !TENANT_ID.test(json.tenant_id)) problems.push('tenant_id must be 1-64 characters of [A-Za-z0-9._-]');
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
  if (typeof value !== 'string') return 'order_id must be a string';
  if (!value.isWellFormed()) return 'order_id must be well-formed Unicode (no lone surrogate)';
  if (value.includes('\u0000')) return 'order_id must not contain NUL';
  const codePoints = countCodePoints(value);
  if (codePoints < 1 || codePoints > MAX_ORDER_ID_CODE_POINTS)
    return `order_id must be 1-${MAX_ORDER_ID_CODE_POINTS} characters (Unicode code points), got ${codePoints}`;
  return undefined;
}

function countCodePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    if (unit < 0xdc00 || unit > 0xdfff) count += 1;
  }
  return count;
}

/** The instant a timestamp denotes, or null when it names none (Feb 30, 24:00, a leap second, out of range). */
function toInstant(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const match = TIMESTAMP.exec(value);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0));
  // Date rolls Feb 30 over into March; the fields read back tell a real date from a rolled one.
  const wallClock = new Date(0);
  wallClock.setUTCFullYear(year, month - 1, day);
  wallClock.setUTCHours(hour, minute, second);
  const sameFields =
    wallClock.getUTCFullYear() === year &&
    wallClock.getUTCMonth() === month - 1 &&
    wallClock.getUTCDate() === day &&
    wallClock.getUTCHours() === hour &&
    wallClock.getUTCMinutes() === minute &&
    wallClock.getUTCSeconds() === second;
  const instant = new Date(value);
  return sameFields && !Number.isNaN(instant.getTime()) ? instant : null;
}
