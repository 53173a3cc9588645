import { Injectable } from '@nestjs/common';
import { BillingConfig } from '../config/configuration';
import { PoisonMessageError } from '../common/errors';
import { fingerprintOf, IdempotentEvent } from '../idempotency/idempotent-event';
import { JsonNumberText } from '../invoices/money';
import { OrderCompletedEvent } from '../invoices/order-completed.event';
import { rootNumberSource } from './json-member-source';
import { checkOrderCompleted } from './order-completed.payload';

export type ParsedOrderCompleted = OrderCompletedEvent & IdempotentEvent;

/** fatal: bytes that are not UTF-8 are refused, never decoded lossily into another order's id. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Turns a message value into a validated event, or throws PoisonMessageError. */
@Injectable()
export class OrderEventParser {
  constructor(private readonly billing: BillingConfig) {}

  parse(payload: unknown): ParsedOrderCompleted {
    return this.toEvent(this.decode(payload));
  }

  private decode(payload: unknown): unknown {
    if (payload === null || payload === undefined) throw new PoisonMessageError('invalid_json', 'message value is empty');
    if (!Buffer.isBuffer(payload) && typeof payload !== 'string') return payload;
    const text = typeof payload === 'string' ? payload : decodeUtf8(payload);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new PoisonMessageError('invalid_json', `message value is not JSON: ${(error as Error).message}`);
    }
    // A float has already rounded 149.899999999999999999 to 149.9: only the number as written can be judged.
    const fields = json as { total?: unknown } | null;
    if (typeof fields?.total === 'number') fields.total = new JsonNumberText(rootNumberSource(text, 'total') ?? '');
    return json;
  }

  private toEvent(json: unknown): ParsedOrderCompleted {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new PoisonMessageError('invalid_payload', 'message value must be a JSON object');
    }
    const fields = json as Record<string, unknown>;
    const checked = checkOrderCompleted(fields);
    if (checked.problems) {
      throw new PoisonMessageError('invalid_payload', `invalid order.completed: ${checked.problems.join('; ')}`, {
        ...identityFields(fields),
        problems: checked.problems,
      });
    }
    const { payload } = checked;
    const currency = payload.currency ?? this.billing.defaultCurrency;
    return {
      eventId: payload.event_id.toLowerCase(),
      orderId: payload.order_id,
      tenantId: payload.tenant_id,
      amount: payload.total,
      currency,
      occurredAt: payload.occurred_at,
      fingerprint: fingerprintOf([payload.tenant_id, payload.order_id, payload.total, currency]),
    };
  }
}

function decodeUtf8(bytes: Buffer): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new PoisonMessageError('invalid_encoding', `message value is not valid UTF-8 (${bytes.length} bytes)`);
  }
}

/** Whatever identifies a rejected event, so its log line can still be correlated. */
function identityFields(json: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    ['event_id', 'order_id', 'tenant_id']
      .filter((f) => typeof json[f] === 'string')
      .map((f) => [f, [...(json[f] as string)].slice(0, 128).join('').toWellFormed()]),
  );
}
