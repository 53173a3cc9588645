/** A validated, normalised order.completed event: the only shape the business logic sees. */
export interface OrderCompletedEvent {
  eventId: string;
  orderId: string;
  tenantId: string;
  /** Canonical decimal string with two fraction digits, e.g. "149.90". */
  amount: string;
  currency: string;
  occurredAt?: Date;
}
