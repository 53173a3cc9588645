// The chaos workload: every message the suite publishes, derived from one seed, and what each should cause.
import { type HostileMessage, type Random, seededRandom } from '../support/standalone/hostile-messages.ts';
import type { SendCodec } from '../support/standalone/send-codecs.ts';

type MessageKind = 'original' | 'duplicate' | 'republished' | 'poison' | 'hostile' | 'hostile-valid';

/** One message to publish `dueMs` after the start, tagged with the x-chaos-id header that names it on the DLT. */
export interface WorkloadMessage {
  dueMs: number;
  key: string | Buffer | null;
  value: string | Buffer | null;
  chaosId: string;
  kind: MessageKind;
}

/** What the invoices of one (tenant, order) must be: one invoice, from one of these events. */
export interface ExpectedOrder {
  amount: string;
  currency: string;
  eventIds: Set<string>;
}

export interface Workload {
  messages: WorkloadMessage[];
  /** Filled by the publisher: how many producer sends used each codec. */
  sendsByCodec: Partial<Record<SendCodec, number>>;
  /** `${tenant}|${order}` -> what its invoice must be. */
  expectedOrders: Map<string, ExpectedOrder>;
  validEventIds: Set<string>;
  poisonIds: Set<string>;
  stats: {
    events: number;
    duplicates: number;
    republished: number;
    poison: number;
    hostile: number;
    hostileValid: number;
    tenants: number;
  };
}

interface WorkloadOptions {
  orders?: number;
  tenants?: number;
  windowMs?: number;
  hostile?: readonly HostileMessage[];
}

interface PoisonBase {
  event_id: string;
  order_id: string;
  tenant_id: string;
  total: string;
}

function uuidFrom(rng: Random): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rng.next() * 16).toString(16)).join('');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const CURRENCIES = ['USD', 'EUR', 'GBP', undefined];

function poisonValue(rng: Random, kind: PoisonKind, base: PoisonBase): string | null {
  switch (kind) {
    case 'truncated_json':
      return JSON.stringify(base).slice(0, rng.int(5, 30));
    case 'not_json':
      return `order ${base.order_id} completed`;
    case 'json_array':
      return JSON.stringify([base]);
    case 'bad_event_id':
      return JSON.stringify({ ...base, event_id: `evt-${base.order_id}` });
    case 'negative_total':
      return JSON.stringify({ ...base, total: '-5.00' });
    case 'three_decimals':
      return JSON.stringify({ ...base, total: '10.005' });
    case 'bad_tenant':
      return JSON.stringify({ ...base, tenant_id: 'tenant with spaces' });
    case 'bad_currency':
      return JSON.stringify({ ...base, currency: 'usd' });
    case 'missing_order':
      return JSON.stringify({ ...base, order_id: undefined });
    case 'empty':
      return null;
    default:
      throw new Error(`unknown poison kind ${String(kind)}`);
  }
}

const POISON_KINDS = [
  'truncated_json',
  'not_json',
  'json_array',
  'bad_event_id',
  'negative_total',
  'three_decimals',
  'bad_tenant',
  'bad_currency',
  'missing_order',
  'empty',
] as const;

type PoisonKind = (typeof POISON_KINDS)[number];

/**
 * Builds the messages and the expected outcome. `windowMs` spreads first publications over the
 * production window; replays come 2-10 s after the message they repeat.
 */
export function buildWorkload(seed: number, { orders = 17_600, tenants = 24, windowMs = 70_000, hostile = [] }: WorkloadOptions = {}): Workload {
  const rng = seededRandom(seed);
  const tenantIds = Array.from({ length: tenants }, (_, i) => `tenant-${String(i + 1).padStart(2, '0')}`);
  const expectedOrders = new Map<string, ExpectedOrder>();
  const validEventIds = new Set<string>();
  const poisonIds = new Set<string>();
  const messages: WorkloadMessage[] = [];
  let seq = 0;
  const chaosId = () => `m${++seq}`;
  const at = (dueMs: number, key: WorkloadMessage['key'], value: WorkloadMessage['value'], kind: MessageKind): string => {
    const id = chaosId();
    messages.push({ dueMs, key, value, chaosId: id, kind });
    return id;
  };

  const orderIds: string[] = [];
  for (let i = 0; i < orders; i++) {
    const tenant = rng.pick(tenantIds);
    // A few order ids recur under another tenant: (tenant, order) is the identity, not order alone.
    const orderId = orderIds.length > 100 && rng.chance(0.02) ? rng.pick(orderIds) : `ord-${seed}-${i}`;
    const identity = `${tenant}|${orderId}`;
    if (expectedOrders.has(identity)) continue;
    orderIds.push(orderId);
    const cents = rng.int(0, 5_000_000);
    const currency = rng.pick(CURRENCIES);
    const eventId = rng.chance(0.01) ? uuidFrom(rng).toUpperCase() : uuidFrom(rng);
    const payload = {
      event_id: eventId,
      order_id: orderId,
      tenant_id: tenant,
      total: rng.chance(0.3) ? cents / 100 : (cents / 100).toFixed(2),
      ...(currency ? { currency } : {}),
      occurred_at: new Date(Date.UTC(2026, 10, 1) + i * 1000).toISOString(),
      ...(rng.chance(0.05) ? { channel: 'web', schema_version: 2 } : {}),
    };
    const order = { amount: (cents / 100).toFixed(2), currency: currency ?? 'USD', eventIds: new Set([eventId.toLowerCase()]) };
    expectedOrders.set(identity, order);
    validEventIds.add(eventId.toLowerCase());
    const dueMs = rng.int(0, windowMs);
    const value = JSON.stringify(payload);
    at(dueMs, orderId, value, 'original');
    if (rng.chance(0.12)) at(dueMs + rng.int(2_000, 10_000), orderId, value, 'duplicate');
    if (rng.chance(0.03)) {
      const republishedId = uuidFrom(rng);
      order.eventIds.add(republishedId);
      validEventIds.add(republishedId);
      at(dueMs + rng.int(1_000, 10_000), orderId, JSON.stringify({ ...payload, event_id: republishedId }), 'republished');
    }
  }

  const poisonCount = Math.round(messages.length * 0.0101);
  for (let i = 0; i < poisonCount; i++) {
    const kind = POISON_KINDS[i % POISON_KINDS.length];
    const base = { event_id: uuidFrom(rng), order_id: `poison-${seed}-${i}`, tenant_id: rng.pick(tenantIds), total: '1.00' };
    const key = rng.chance(0.5) ? base.order_id : rng.pick(orderIds);
    poisonIds.add(at(rng.int(0, windowMs), key, poisonValue(rng, kind, base), 'poison'));
  }

  // Hostile messages: poison of every shape must reach the DLT, odd-but-valid ones must be invoiced.
  for (const message of hostile) {
    const dueMs = rng.int(0, windowMs);
    if (message.expected !== 'invoiced') {
      poisonIds.add(at(dueMs, message.key, message.value, 'hostile'));
      continue;
    }
    if (!message.invoice) throw new Error(`hostile shape ${message.shape} is to be invoiced but names no invoice`);
    const { eventId, orderId, amount } = message.invoice;
    expectedOrders.set(`tenant-hostile|${orderId}`, { amount, currency: 'USD', eventIds: new Set([eventId]) });
    validEventIds.add(eventId);
    at(dueMs, message.key, message.value, 'hostile-valid');
  }

  messages.sort((a, b) => a.dueMs - b.dueMs);
  const count = (kind: MessageKind): number => messages.filter((m) => m.kind === kind).length;
  return {
    messages,
    sendsByCodec: {},
    expectedOrders,
    validEventIds,
    poisonIds,
    stats: {
      events: messages.length,
      duplicates: count('duplicate'),
      republished: count('republished'),
      poison: count('poison') + count('hostile'),
      hostile: count('hostile') + count('hostile-valid'),
      hostileValid: count('hostile-valid'),
      tenants: new Set([...expectedOrders.keys()].map((k) => k.split('|')[0])).size,
    },
  };
}
