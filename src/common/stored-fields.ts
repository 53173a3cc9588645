/** What a tenant id may be wherever it arrives: an event, a token claim, a query. */
export const TENANT_ID = /^[A-Za-z0-9._-]{1,64}$/;
export const TENANT_ID_RULE = '1-64 characters of [A-Za-z0-9._-]';

const MAX_ORDER_ID_CODE_POINTS = 128;

/**
 * What is wrong with an order id, as PostgreSQL will store it: lengths in code points, no NUL (text cannot hold it),
 * no lone surrogate (it would reach the database as U+FFFD, another order than the one sent).
 */
export function orderIdProblem(value: string): string | undefined {
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

/**
 * The instant an ISO 8601 text denotes, or null when it names none (Feb 30, 24:00, a leap second, out of range).
 * `pattern` captures year, month, day and, when present, hour, minute and second; Date alone would roll such fields over
 * into another day, so the fields read back tell a real date from a rolled one.
 */
export function realInstant(value: string, pattern: RegExp): Date | null {
  const match = pattern.exec(value);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0));
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
