import { EventIdentity } from './event-outcome.recorder';

const MAX_LOGGED_LENGTH = 128;

/**
 * Best effort, for the log line of a message the parser did not turn into an event (a conflict, a payload
 * that breaks a rule): whatever identifying strings its JSON carries. Unparseable bytes give nothing.
 */
export function identityFromPayload(value: unknown): EventIdentity {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.isBuffer(value) ? value.toString('utf8') : String(value));
  } catch {
    return {};
  }
  if (typeof json !== 'object' || json === null) return {};
  const text = (key: string) => {
    const field = (json as Record<string, unknown>)[key];
    return typeof field === 'string' ? field.slice(0, MAX_LOGGED_LENGTH) : undefined;
  };
  return { eventId: text('event_id'), orderId: text('order_id'), tenantId: text('tenant_id') };
}

/** The identity the error knew, completed from the payload where it knew nothing. */
export function completeIdentity(known: EventIdentity | undefined, payload: unknown): EventIdentity {
  const raw = identityFromPayload(payload);
  return { eventId: known?.eventId ?? raw.eventId, orderId: known?.orderId ?? raw.orderId, tenantId: known?.tenantId ?? raw.tenantId };
}
