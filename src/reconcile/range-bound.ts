import { BillingError } from '../common/errors';
/** One end of a reconciled range: an instant (resolved through Kafka's offset-for-time lookup) or offsets per partition. */
export type RangeBound = { kind: 'time'; at: Date } | { kind: 'offsets'; offsets: ReadonlyMap<number, number> };

export class RangeBoundError extends BillingError {
  readonly code = 'reconcile.bad_range';
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const OFFSETS = /^\d+:\d+(,\d+:\d+)*$/;

/** "2026-11-24T00:00:00Z" (a date alone is its UTC midnight) or "0:100,1:250" (partition:offset, others unbounded). */
export function parseRangeBound(raw: string): RangeBound {
  const text = raw.trim();
  if (OFFSETS.test(text)) return { kind: 'offsets', offsets: parseOffsets(text) };
  const at = ISO_INSTANT.test(text) ? new Date(text) : new Date(NaN);
  if (Number.isNaN(at.getTime())) {
    throw new RangeBoundError(`"${raw}" is neither an ISO 8601 instant with a zone (2026-11-24T00:00:00Z) nor partition offsets (0:100,1:250)`);
  }
  return { kind: 'time', at };
}

function parseOffsets(text: string): Map<number, number> {
  const offsets = new Map<number, number>();
  for (const pair of text.split(',')) {
    const [partition, offset] = pair.split(':').map(Number);
    if (!Number.isSafeInteger(offset)) throw new RangeBoundError(`offset of partition ${partition} is too large`);
    if (offsets.has(partition)) throw new RangeBoundError(`partition ${partition} is given twice`);
    offsets.set(partition, offset);
  }
  return offsets;
}

export function describeBound(bound: RangeBound): string {
  if (bound.kind === 'time') return bound.at.toISOString();
  return [...bound.offsets].map(([p, o]) => `${p}:${o}`).join(',');
}
