const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN = new Set([0x7b, 0x5b]); // { [
const CLOSE = new Set([0x7d, 0x5d]); // } ]
const NUMBER_START = /[-0-9]/;
const NUMBER_TOKEN = /-?[0-9][0-9.eE+-]*/y;

/**
 * The source text of the root object's member `name` when its value is a number, as JSON.parse keeps it (the
 * last of duplicate keys), from a text JSON.parse has already accepted. One pass without allocation but for keys
 * and the token: JSON.parse's reviver with source text access does the same about six times slower.
 */
export function rootNumberSource(text: string, name: string): string | undefined {
  let depth = 0;
  let found: string | undefined;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = closingQuote(text, i);
      if (depth === 1) {
        const colon = afterWhitespace(text, end + 1);
        if (text.charCodeAt(colon) === COLON && keyOf(text, i, end) === name) found = numberAt(text, afterWhitespace(text, colon + 1));
      }
      i = end;
    } else if (OPEN.has(c)) depth += 1;
    else if (CLOSE.has(c)) depth -= 1;
  }
  return found;
}

function closingQuote(text: string, open: number): number {
  for (let i = open + 1; ; i += 1) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i += 1;
    else if (c === QUOTE || Number.isNaN(c)) return i;
  }
}

function afterWhitespace(text: string, from: number): number {
  let i = from;
  for (let c = text.charCodeAt(i); c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d; c = text.charCodeAt(i)) i += 1;
  return i;
}

/** A key as JSON.parse reads it: escapes such as \u0074 decoded. */
function keyOf(text: string, open: number, close: number): string {
  const raw = text.slice(open + 1, close);
  return raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
}

/** The number token at `at`, or undefined when the value there is not a number (a later duplicate may be a string). */
function numberAt(text: string, at: number): string | undefined {
  if (!NUMBER_START.test(text.charAt(at))) return undefined;
  NUMBER_TOKEN.lastIndex = at;
  return NUMBER_TOKEN.exec(text)?.[0];
}
