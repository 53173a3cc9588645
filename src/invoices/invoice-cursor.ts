import { InvalidRequestError } from '../common/errors';

/** Position after the last row of a page, in the listing's order (insert transaction id, then id). */
export interface InvoicePosition {
  insertXid: string;
  id: string;
}

/** insert_xid is a PostgreSQL bigint: a larger number in a crafted cursor must be a 400, not a database error. */
const MAX_BIGINT = 2n ** 63n - 1n;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Opaque to clients: base64url JSON, so the order can change without breaking their code. */
export function encodeCursor(position: InvoicePosition): string {
  return Buffer.from(JSON.stringify([position.insertXid, position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): InvoicePosition {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) throw invalid();
  const [insertXid, id] = decoded as unknown[];
  if (typeof insertXid !== 'string' || !/^\d{1,19}$/.test(insertXid) || BigInt(insertXid) > MAX_BIGINT || typeof id !== 'string' || !UUID.test(id))
    throw invalid();
  return { insertXid, id };
}

function invalid(): InvalidRequestError {
  return new InvalidRequestError('cursor is not valid: pass next_cursor from a previous page unchanged');
}
