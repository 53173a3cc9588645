const DECIMAL = /^(\d{1,18})(?:\.(\d{1,2}))?$/;
/** Above this a JSON number can no longer carry cents exactly; such totals must be sent as strings. */
const MAX_EXACT_JSON_NUMBER = 1e13;

/**
 * Normalises a contract total (decimal string or JSON number) to a canonical string such as "149.90",
 * or returns null. No float arithmetic: a number is only ever turned into its shortest decimal text.
 */
export function toCanonicalAmount(total: unknown): string | null {
  let text: string;
  if (typeof total === 'string') {
    text = total;
  } else if (typeof total === 'number' && Number.isFinite(total) && Math.abs(total) < MAX_EXACT_JSON_NUMBER) {
    text = String(total);
  } else {
    return null;
  }
  const match = DECIMAL.exec(text);
  if (!match) return null;
  const units = match[1].replace(/^0+(?=\d)/, '');
  const cents = (match[2] ?? '').padEnd(2, '0');
  return `${units}.${cents}`;
}
