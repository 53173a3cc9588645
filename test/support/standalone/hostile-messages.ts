/**
 * A seeded generator of order.completed messages that no well-behaved producer would write, each with the
 * outcome the contract promises for it. Node built-ins only: the chaos suite imports it as it is (see ./package.json).
 */
export type HostileExpectation = 'invoiced' | 'invalid_encoding' | 'invalid_json' | 'invalid_payload' | 'rejected_by_database';

export interface HostileMessage {
  shape: string;
  key: Buffer | null;
  value: Buffer | null;
  expected: HostileExpectation;
  /** For an event that must be invoiced: its lower-case event_id, order_id and canonical amount. */
  invoice?: { eventId: string; orderId: string; amount: string };
}

export interface HostileOptions {
  tenantId: string;
  /** Order ids starting with this are refused by a CHECK constraint that the test adds to its own database. */
  refusedByDatabasePrefix?: string;
}

export interface Random {
  next(): number;
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

/** mulberry32: small, fast, and the same sequence for the same seed on every machine (the chaos workload's too). */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return { next, int, pick: <T>(items: readonly T[]) => items[int(0, items.length - 1)], chance: (p: number) => next() < p };
}

type Fields = Record<string, unknown>;
type Shape = (ctx: ShapeContext) => Omit<HostileMessage, 'shape'>;

interface ShapeContext {
  rng: Random;
  fields: () => Fields & { event_id: string; order_id: string; total: string };
  options: HostileOptions;
}

const ASTRAL = ['\u{1F600}', '\u{1F9FE}', '\u{10348}', '\u{2070E}'];
const COMBINING = ['\u0301', '\uFE0F', '\u200D', '\u20DD'];

function uuid(rng: Random, version = 4): string {
  const hex = (n: number) => Array.from({ length: n }, () => rng.int(0, 15).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-${version}${hex(3)}-${'89ab'[rng.int(0, 3)]}${hex(3)}-${hex(12)}`;
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
const poison = (expected: HostileExpectation, value: Buffer | null) => ({ key: null, value, expected });

function withField(ctx: ShapeContext, field: string, value: unknown): Buffer {
  return json({ ...ctx.fields(), [field]: value });
}

/** The JSON number exactly as given: JSON.stringify would turn it into a float's shortest text first. */
function withNumberTotal(fields: Fields, source: string): Buffer {
  return Buffer.from(JSON.stringify({ ...fields, total: 0 }).replace('"total":0', `"total":${source}`));
}

function invoiced(fields: Fields & { event_id: string; order_id: string; total: string }, value: Buffer = json(fields)): Omit<HostileMessage, 'shape'> {
  return {
    key: Buffer.from(fields.order_id.slice(0, 16)),
    value,
    expected: 'invoiced',
    invoice: { eventId: fields.event_id.toLowerCase(), orderId: fields.order_id, amount: fields.total },
  };
}

const ENCODING: Record<string, Shape> = {
  'latin-1 order_id': (ctx) =>
    poison('invalid_encoding', bytes(`{"event_id":"${uuid(ctx.rng)}","order_id":"caf`, [0xe9], `","tenant_id":"${ctx.options.tenantId}","total":"1.00"}`)),
  'overlong slash': (ctx) => poison('invalid_encoding', bytes(`{"order_id":"a`, [0xc0, 0xaf], `","n":${ctx.rng.int(0, 9)}}`)),
  'encoded surrogate': () => poison('invalid_encoding', bytes(`{"order_id":"`, [0xed, 0xa0, 0x80], `"}`)),
  'truncated sequence': () => poison('invalid_encoding', bytes(`{"order_id":"x`, [0xe2, 0x82])),
  'beyond U+10FFFF': () => poison('invalid_encoding', bytes(`"`, [0xf4, 0x90, 0x80, 0x80], `"`)),
  'random bytes': (ctx) =>
    poison('invalid_encoding', Buffer.concat([Buffer.from(Array.from({ length: ctx.rng.int(1, 300) }, () => ctx.rng.int(0, 255))), Buffer.from([0xff])])),
};

const JSON_SYNTAX: Record<string, Shape> = {
  truncated: (ctx) => {
    const whole = JSON.stringify(ctx.fields());
    return poison('invalid_json', Buffer.from(whole.slice(0, ctx.rng.int(1, whole.length - 1))));
  },
  'trailing garbage': (ctx) => poison('invalid_json', Buffer.from(`${JSON.stringify(ctx.fields())} x`)),
  'single quotes': (ctx) => poison('invalid_json', Buffer.from(JSON.stringify(ctx.fields()).replace(/"/g, "'"))),
  'bare NaN total': (ctx) => poison('invalid_json', withNumberTotal(ctx.fields(), 'NaN')),
  'empty value': () => poison('invalid_json', Buffer.alloc(0)),
  tombstone: () => poison('invalid_json', null),
  'whitespace only': () => poison('invalid_json', Buffer.from(' \n\t ')),
  'unbalanced nesting': (ctx) => poison('invalid_json', Buffer.from('['.repeat(ctx.rng.int(1, 50_000)))),
  'comment inside': (ctx) => poison('invalid_json', Buffer.from(`{/* hi */${JSON.stringify(ctx.fields()).slice(1)}`)),
};

const PAYLOAD: Record<string, Shape> = {
  'top-level array': (ctx) => poison('invalid_payload', json([ctx.fields()])),
  'top-level scalar': (ctx) => poison('invalid_payload', json(ctx.rng.pick([null, true, 42, 'order.completed']))),
  'missing field': (ctx) => {
    const fields = ctx.fields();
    delete fields[ctx.rng.pick(['event_id', 'order_id', 'tenant_id', 'total'])];
    return poison('invalid_payload', json(fields));
  },
  'wrong type': (ctx) => {
    const field = ctx.rng.pick(['event_id', 'order_id', 'tenant_id', 'total']);
    return poison('invalid_payload', withField(ctx, field, ctx.rng.pick([null, true, [], {}, ['a'], ...(field === 'total' ? [] : [42])])));
  },
  'order_id too long in code points': (ctx) =>
    poison('invalid_payload', withField(ctx, 'order_id', ctx.rng.pick(['x', ctx.rng.pick(ASTRAL), `a${ctx.rng.pick(COMBINING)}`]).repeat(129))),
  'order_id empty': (ctx) => poison('invalid_payload', withField(ctx, 'order_id', '')),
  'order_id with NUL': (ctx) => poison('invalid_payload', withField(ctx, 'order_id', `o-${ctx.rng.int(0, 1e6)}\u0000x`)),
  'order_id with lone surrogate': (ctx) => poison('invalid_payload', Buffer.from(JSON.stringify(ctx.fields()).replace(/"order_id":"/, '"order_id":"\\ud83d'))),
  'bad tenant_id': (ctx) => poison('invalid_payload', withField(ctx, 'tenant_id', ctx.rng.pick(['', 'a b', 'x'.repeat(65), 'ten\u00e4nt', 'a/b']))),
  'bad total': (ctx) =>
    poison('invalid_payload', withField(ctx, 'total', ctx.rng.pick(['-1.00', '1.001', '1e3', '', ' 1.00', '0x10', '1234567890123456789', -0.5, 1.005, 1e19]))),
  'huge JSON number total': (ctx) => poison('invalid_payload', withNumberTotal(ctx.fields(), ctx.rng.pick(['1e400', '1e99999999999999999999', '-1e-99999']))),
  'JSON number total finer than cents as written': (ctx) =>
    poison(
      'invalid_payload',
      withNumberTotal(
        ctx.fields(),
        ctx.rng.pick([
          '1.005',
          '149.899999999999999999',
          '9.999999999999999999',
          '1E-3',
          '12.3456e1',
          `${ctx.rng.int(0, 99_999)}.${String(ctx.rng.int(0, 99)).padStart(2, '0')}${ctx.rng.int(1, 9)}`,
        ]),
      ),
    ),
  'bad currency': (ctx) => poison('invalid_payload', withField(ctx, 'currency', ctx.rng.pick(['usd', 'ZZZ', 'US', '\u{1F4B6}', 840, '']))),
  'not an instant': (ctx) =>
    poison(
      'invalid_payload',
      withField(
        ctx,
        'occurred_at',
        ctx.rng.pick(['2026-02-30T10:00:00Z', '2026-02-28T24:00:00Z', '2026-13-01T00:00:00Z', '2026-11-20T10:00:00', 'yesterday', 1764000000]),
      ),
    ),
  'bad event_id': (ctx) =>
    poison('invalid_payload', withField(ctx, 'event_id', ctx.rng.pick(['nope', `{${uuid(ctx.rng)}}`, uuid(ctx.rng).replace(/-/g, ''), `${uuid(ctx.rng)} `]))),
  'deeply nested field': (ctx) =>
    poison('invalid_payload', Buffer.from(JSON.stringify(ctx.fields()).replace(/"event_id":"[^"]*"/, `"event_id":${'['.repeat(5_000)}${']'.repeat(5_000)}`))),
};

const ODD_BUT_VALID: Record<string, Shape> = {
  '128 astral code points': (ctx) => {
    const fields = ctx.fields();
    return invoiced({ ...fields, order_id: fields.order_id + ctx.rng.pick(ASTRAL).repeat(128 - fields.order_id.length) });
  },
  'combining marks': (ctx) => {
    const fields = ctx.fields();
    return invoiced({ ...fields, order_id: fields.order_id + ctx.rng.pick(COMBINING).repeat(128 - fields.order_id.length) });
  },
  'control characters': (ctx) => {
    const fields = ctx.fields();
    return invoiced({ ...fields, order_id: `${fields.order_id}\u0001\u001f\t\n` });
  },
  'upper-case v7 UUID': (ctx) => invoiced({ ...ctx.fields(), event_id: uuid(ctx.rng, 7).toUpperCase() }),
  'number total': (ctx) => {
    const cents = ctx.rng.int(0, 9_999_999);
    const fields = { ...ctx.fields(), total: (cents / 100).toFixed(2) };
    return invoiced(fields, withNumberTotal(fields, String(cents / 100)));
  },
  'JSON number total in another notation': (ctx) => {
    const cents = ctx.rng.int(0, 9_999_999);
    const [units, fraction] = [Math.floor(cents / 100), String(cents % 100).padStart(2, '0')];
    const digit = ctx.rng.int(1, 9);
    const [source, amount] = ctx.rng.pick([
      [`${cents}e-2`, `${units}.${fraction}`],
      [`${cents}0E-3`, `${units}.${fraction}`],
      [`${units}.${fraction}000`, `${units}.${fraction}`],
      [`${digit}e1`, `${digit}0.00`],
      [`${digit}E+3`, `${digit}000.00`],
      ['-0.0', '0.00'],
    ]);
    const fields = { ...ctx.fields(), total: amount };
    return invoiced(fields, withNumberTotal(fields, source));
  },
  'large unknown fields': (ctx) => {
    const fields = ctx.fields();
    const nested = `${'{"a":'.repeat(500)}1${'}'.repeat(500)}`;
    return invoiced(fields, Buffer.from(`${JSON.stringify({ ...fields, blob: 'z'.repeat(ctx.rng.int(1, 20_000)) }).slice(0, -1)},"deep":${nested}}`));
  },
  'duplicate keys, last wins': (ctx) => {
    const fields = ctx.fields();
    return invoiced(fields, Buffer.from(`{"event_id":"not-a-uuid",${JSON.stringify(fields).slice(1)}`));
  },
  'escaped unicode': (ctx) => {
    const base = ctx.fields();
    const fields = { ...base, order_id: `caf\u00e9-${base.order_id}` };
    return invoiced(fields, Buffer.from(JSON.stringify(fields).replace('\u00e9', '\\u00e9')));
  },
  'byte order mark': (ctx) => {
    const fields = ctx.fields();
    return invoiced(fields, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json(fields)]));
  },
  'offset timestamp and null currency': (ctx) => invoiced({ ...ctx.fields(), occurred_at: '2026-11-20T10:00:00.123456789+05:30', currency: null }),
};

const REFUSED: Record<string, Shape> = {
  'refused by a database constraint': (ctx) => {
    const base = ctx.fields();
    const fields = { ...base, order_id: `${ctx.options.refusedByDatabasePrefix}${base.order_id}` };
    return { key: Buffer.from(fields.order_id), value: json(fields), expected: 'rejected_by_database' };
  },
};

/** `count` messages of every kind above, in a seeded order; order ids are unique within one seed. */
export function hostileMessages(seed: number, count: number, options: HostileOptions): HostileMessage[] {
  const rng = seededRandom(seed >>> 0 || 1);
  let serial = 0;
  const fields = () => ({
    event_id: uuid(rng),
    order_id: `hostile-${seed}-${serial++}`,
    tenant_id: options.tenantId,
    total: `${rng.int(0, 99_999)}.${String(rng.int(0, 99)).padStart(2, '0')}`,
  });
  const groups = [ENCODING, JSON_SYNTAX, PAYLOAD, ODD_BUT_VALID, ...(options.refusedByDatabasePrefix ? [REFUSED] : [])];
  const ctx: ShapeContext = { rng, fields, options };
  return Array.from({ length: count }, () => {
    const group = rng.pick(groups);
    const shape = rng.pick(Object.keys(group));
    return { shape, ...group[shape](ctx) };
  });
}
