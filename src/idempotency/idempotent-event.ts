import { hash } from 'node:crypto';

/** What the idempotency layer needs from any event: its id, and a fingerprint of the fields that bill. */
export interface IdempotentEvent {
  eventId: string;
  fingerprint: string;
  /** The W3C traceparent its delivery carried, passed on to what the event causes. */
  traceparent?: string;
}

export function fingerprintOf(fields: readonly string[]): string {
  return hash('sha256', fields.join('\u0000'), 'hex');
}
