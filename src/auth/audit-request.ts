import { Principal } from './principal';

/** What an audit entry says about the request, before the outcome is known. */
export interface AuditRequest {
  action: string;
  principal: Principal;
  parameters: Record<string, unknown>;
  requestId: string | null;
}

export interface HttpRequestLike {
  id?: unknown;
  params?: Record<string, unknown>;
  query?: Record<string, unknown>;
}

const MAX_KEYS = 20;
const MAX_TEXT = 256;

export function auditRequest(action: string, principal: Principal, request: HttpRequestLike): AuditRequest {
  const parameters = storable(request.params ?? {});
  const query = storable(request.query ?? {});
  if (Object.keys(query).length > 0) parameters.query = query;
  return { action, principal, parameters, requestId: typeof request.id === 'string' ? request.id : null };
}

/** Text PostgreSQL's jsonb takes whatever the client put in the URL: no NUL, no lone surrogate, bounded length. */
export function storableText(value: unknown, maxLength = MAX_TEXT): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return text.toWellFormed().replaceAll('\u0000', '\uFFFD').slice(0, maxLength).toWellFormed();
}

function storable(values: Record<string, unknown>): Record<string, unknown> {
  const entries = Object.entries(values).slice(0, MAX_KEYS);
  return Object.fromEntries(entries.map(([key, value]) => [storableText(key, 64), storableText(value)]));
}
