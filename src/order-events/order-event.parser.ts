import { Injectable } from '@nestjs/common';
import { validateSync } from 'class-validator';
import { BillingConfig } from '../config/configuration';
import { PoisonMessageError } from '../common/errors';
import { fingerprintOf, IdempotentEvent, IdempotentEventParser } from '../idempotency/idempotent-event';
import { toCanonicalAmount } from '../invoices/money';
import { OrderCompletedEvent } from './order-completed.event';
import { OrderCompletedPayload, PAYLOAD_FIELDS } from './order-completed.payload';

export type ParsedOrderCompleted = OrderCompletedEvent & IdempotentEvent;

@Injectable()
export class OrderEventParser extends IdempotentEventParser<ParsedOrderCompleted> {
  /** The interceptor and the handler's pipe both parse the same payload object; parse it once. */
  private readonly parsed = new WeakMap<object, ParsedOrderCompleted>();

  constructor(private readonly billing: BillingConfig) {
    super();
  }

  parse(payload: unknown): ParsedOrderCompleted {
    if (typeof payload === 'object' && payload !== null) {
      const cached = this.parsed.get(payload);
      if (cached) return cached;
    }
    const event = this.toEvent(this.decode(payload));
    if (typeof payload === 'object' && payload !== null) this.parsed.set(payload, event);
    return event;
  }

  private decode(payload: unknown): unknown {
    if (payload === null || payload === undefined) throw new PoisonMessageError('invalid_json', 'message value is empty');
    if (!Buffer.isBuffer(payload) && typeof payload !== 'string') return payload;
    const text = payload.toString('utf8');
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new PoisonMessageError('invalid_json', `message value is not JSON: ${(error as Error).message}`);
    }
  }

  private toEvent(json: unknown): ParsedOrderCompleted {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new PoisonMessageError('invalid_payload', 'message value must be a JSON object');
    }
    const payload = Object.assign(new OrderCompletedPayload(), pickKnownFields(json as Record<string, unknown>));
    const errors = validateSync(payload);
    if (errors.length > 0) {
      const problems = errors.flatMap((e) => Object.values(e.constraints ?? {}));
      throw new PoisonMessageError('invalid_payload', `invalid order.completed: ${problems.join('; ')}`, {
        ...identityFields(json as Record<string, unknown>),
        problems,
      });
    }
    const amount = toCanonicalAmount(payload.total) as string;
    const currency = payload.currency ?? this.billing.defaultCurrency;
    return {
      eventId: payload.event_id.toLowerCase(),
      orderId: payload.order_id,
      tenantId: payload.tenant_id,
      amount,
      currency,
      occurredAt: payload.occurred_at ? new Date(payload.occurred_at) : undefined,
      fingerprint: fingerprintOf([payload.tenant_id, payload.order_id, amount, currency]),
    };
  }
}

function pickKnownFields(json: Record<string, unknown>): Partial<OrderCompletedPayload> {
  return Object.fromEntries(PAYLOAD_FIELDS.filter((f) => json[f] !== undefined).map((f) => [f, json[f]]));
}

/** Whatever identifies a rejected event, so its log line can still be correlated. */
function identityFields(json: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    ['event_id', 'order_id', 'tenant_id'].filter((f) => typeof json[f] === 'string').map((f) => [f, (json[f] as string).slice(0, 128)]),
  );
}
