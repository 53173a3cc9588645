import { Injectable } from '@nestjs/common';
import { EventConflictError } from '../common/errors';
import { EventRefusal } from '../idempotency/idempotency.service';
import { OrderCompletedEvent } from './order-completed.event';
import { InvoiceOutcome } from './invoice-outcome';
import { InsertOutcome, InvoicesRepository, NewInvoice } from './invoices.repository';
import { StaleEventDetector } from './stale-event.detector';

@Injectable()
export class InvoicesService {
  constructor(
    private readonly invoices: InvoicesRepository,
    private readonly staleEvents: StaleEventDetector,
  ) {}

  /** One outcome per event, in the order given; a reused event_id with other billing fields is refused. */
  async invoiceOrders(events: readonly OrderCompletedEvent[]): Promise<(InvoiceOutcome | EventRefusal)[]> {
    const inserted = await this.invoices.insertMany(events.map(toNewInvoice));
    const decided = events.map((event) => ({ event, outcome: toOutcome(event, inserted.get(event.eventId)) }));
    this.staleEvents.inspect(decided.flatMap(({ event, outcome }) => (outcome instanceof EventRefusal ? [] : [{ event, outcome }])));
    return decided.map(({ outcome }) => outcome);
  }
}

const OUTCOMES: Record<Exclude<InsertOutcome, 'event_conflict'>, InvoiceOutcome> = {
  created: 'invoiced',
  order_taken: 'duplicate_order',
  event_invoiced: 'duplicate',
};

function toOutcome(event: OrderCompletedEvent, inserted: InsertOutcome | undefined): InvoiceOutcome | EventRefusal {
  if (inserted === undefined) throw new Error(`no insert outcome for event ${event.eventId}`);
  return inserted === 'event_conflict' ? new EventRefusal(new EventConflictError(event.eventId)) : OUTCOMES[inserted];
}

function toNewInvoice(event: OrderCompletedEvent): NewInvoice {
  const { eventId, tenantId, orderId, amount, currency, traceparent } = event;
  return { eventId, tenantId, orderId, amount, currency, traceparent: traceparent ?? null };
}
