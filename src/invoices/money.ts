const DECIMAL = /^(\d{1,18})(?:\.(\d{1,2}))?$/;
/** JSON's number grammar (RFC 8259), split into what the exact value needs. */
const JSON_NUMBER = /^(-?)(0|[1-9]\d*)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;
const MAX_INTEGER_DIGITS = 18;
/** An in-process float above this can no longer carry cents exactly; such totals must be sent as text. */
const MAX_EXACT_FLOAT = 1e13;
/** Any exponent beyond this makes a non-zero value too large or too fine for money; clamping keeps arithmetic exact. */
const MAX_EXPONENT = 1e15;

/** A JSON number as its producer wrote it: the source text, before JSON.parse made it a float. */
export class JsonNumberText {
  constructor(readonly source: string) {}
}

/**
 * Normalises a contract total (decimal string, JSON number as written, or an in-process number) to a canonical
 * string such as "149.90", or returns null. No float arithmetic: the exact decimal a text denotes is judged.
 */
export function toCanonicalAmount(total: unknown): string | null {
  if (typeof total === 'string') return canonicalDecimal(total);
  if (total instanceof JsonNumberText) return canonicalJsonNumber(total.source);
  if (typeof total === 'number' && Number.isFinite(total) && Math.abs(total) < MAX_EXACT_FLOAT) return canonicalJsonNumber(String(total));
  return null;
}

function canonicalDecimal(text: string): string | null {
  const match = DECIMAL.exec(text);
  if (!match) return null;
  const units = match[1].replace(/^0+(?=\d)/, '');
  const cents = (match[2] ?? '').padEnd(2, '0');
  return `${units}.${cents}`;
}

/** `1e1` is 10.00 and `1E-2` is 0.01; `1.005` or `9.999999999999999999` has more than two fraction digits, so null. */
function canonicalJsonNumber(source: string): string | null {
  const match = JSON_NUMBER.exec(source);
  if (!match) return null;
  const [, sign, whole, fraction = '', exponentText = '0'] = match;
  const digits = whole + fraction;
  const first = firstNonZero(digits);
  if (first < 0) return '0.00'; // -0 and 0e99 denote zero, which is >= 0
  if (sign === '-') return null;
  const significant = digits.slice(first, lastNonZero(digits) + 1);
  const integerDigits = whole.length - first + clampedExponent(exponentText);
  const fractionDigits = significant.length - integerDigits;
  if (fractionDigits > 2 || integerDigits > MAX_INTEGER_DIGITS) return null;
  const cents = (significant + '0'.repeat(2 - fractionDigits)).padStart(3, '0');
  return `${cents.slice(0, -2)}.${cents.slice(-2)}`;
}

function clampedExponent(text: string): number {
  const magnitude = text.replace(/^[+-]?0*/, '');
  const value = magnitude.length > 15 ? MAX_EXPONENT : Math.min(Number(magnitude || '0'), MAX_EXPONENT);
  return text.startsWith('-') ? -value : value;
}

function firstNonZero(digits: string): number {
  for (let i = 0; i < digits.length; i += 1) if (digits.charCodeAt(i) !== 0x30) return i;
  return -1;
}

function lastNonZero(digits: string): number {
  for (let i = digits.length - 1; i >= 0; i -= 1) if (digits.charCodeAt(i) !== 0x30) return i;
  return -1;
}
