/** A validated, normalised order.completed event: the only shape the business logic sees. */
export interface OrderCompletedEvent {
  eventId: string;
  orderId: string;
  tenantId: string;
  /** Canonical decimal string with two fraction digits, e.g. "149.90". */
  amount: string;
  currency: string;
  occurredAt?: Date;
  /** W3C trace context of the delivery (validated), carried into the invoice.created announcement. */
  traceparent?: string;
}
