import { Injectable } from '@nestjs/common';
import { OrderCompletedEvent } from '../order-events/order-completed.event';
import { InvoicesRepository, NewInvoice } from './invoices.repository';
import { StaleEventDetector } from './stale-event.detector';

export type InvoiceOutcome = 'invoiced' | 'duplicate_order';

@Injectable()
export class InvoicesService {
  constructor(
    private readonly invoices: InvoicesRepository,
    private readonly staleEvents: StaleEventDetector,
  ) {}

  async invoiceOrder(event: OrderCompletedEvent): Promise<InvoiceOutcome> {
    const [outcome] = await this.invoiceOrders([event]);
    return outcome;
  }

  /** One outcome per event, in the order given. */
  async invoiceOrders(events: readonly OrderCompletedEvent[]): Promise<InvoiceOutcome[]> {
    const created = await this.invoices.insertMany(events.map(toNewInvoice));
    const outcomes = events.map((event): InvoiceOutcome => (created.has(event.eventId) ? 'invoiced' : 'duplicate_order'));
    for (const [i, event] of events.entries()) await this.staleEvents.inspect(event, outcomes[i]);
    return outcomes;
  }
}

function toNewInvoice(event: OrderCompletedEvent): NewInvoice {
  return { eventId: event.eventId, tenantId: event.tenantId, orderId: event.orderId, amount: event.amount, currency: event.currency };
}
