export const MESSAGE_CLASSES = ['invoiced', 'duplicate', 'duplicate_order', 'dead_lettered', 'pending', 'unexplained'] as const;
export type MessageClass = (typeof MESSAGE_CLASSES)[number];

export interface BillingFields {
  tenantId: string;
  orderId: string;
  amount: string;
  currency: string;
}

/** What the topic, the dead-letter topic and the invoices say about one message of the range. */
export interface MessageFacts {
  /** At or after the offset stored for the group (consumer_offsets): the service has not acknowledged it yet. */
  pending: boolean;
  deadLetterReason: string | null;
  /** Why the service's parser rejects the message, or null when it is a valid event. */
  poisonReason: string | null;
  event: (BillingFields & { eventId: string }) | null;
  /** The earliest acknowledged, not dead-lettered delivery of its event_id (in the range or the look-back). */
  isFirst: boolean;
  /** Same billing fields as that earliest delivery. */
  sameAsFirst: boolean;
  invoice: (BillingFields & { id: string }) | null;
  /** The event whose invoice holds this message's (tenant_id, order_id), if any. */
  orderInvoiceEventId: string | null;
}

export interface Verdict {
  class: MessageClass;
  detail: string;
}

/** The service's decisions, replayed from their evidence: the invoice proves its event even after its claim was purged. */
export function verdictOf(facts: MessageFacts): Verdict {
  if (facts.pending) return { class: 'pending', detail: "at or after the consumer group's stored offset" };
  if (facts.deadLetterReason !== null) return { class: 'dead_lettered', detail: facts.deadLetterReason };
  if (facts.poisonReason !== null) return unexplained(`poison (${facts.poisonReason}) but not on the dead-letter topic`);
  const event = facts.event;
  if (event === null) return unexplained('neither an event nor poison');
  if (!facts.isFirst) {
    return facts.sameAsFirst
      ? { class: 'duplicate', detail: '' }
      : unexplained(`reuses event_id ${event.eventId} with other billing fields but is not on the dead-letter topic`);
  }
  if (facts.invoice) {
    const differences = differencesOf(facts.invoice, event);
    if (differences.length === 0) return { class: 'invoiced', detail: '' };
    return unexplained(`invoice ${facts.invoice.id} of event ${event.eventId} differs: ${differences.join(', ')}`);
  }
  if (facts.orderInvoiceEventId !== null) return { class: 'duplicate_order', detail: `invoiced under event ${facts.orderInvoiceEventId}` };
  return unexplained(`no invoice for event ${event.eventId} (tenant ${event.tenantId}, order ${event.orderId})`);
}

function unexplained(detail: string): Verdict {
  return { class: 'unexplained', detail };
}

function differencesOf(invoice: BillingFields, event: BillingFields): string[] {
  const fields = ['tenantId', 'orderId', 'amount', 'currency'] as const;
  const names = { tenantId: 'tenant_id', orderId: 'order_id', amount: 'amount', currency: 'currency' };
  return fields.filter((f) => invoice[f] !== event[f]).map((f) => `${names[f]} ${invoice[f]} (event ${event[f]})`);
}
