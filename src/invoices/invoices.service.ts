import { Injectable } from '@nestjs/common';
import { OrderCompletedEvent } from '../order-events/order-completed.event';
import { InvoicesRepository, NewInvoice } from './invoices.repository';

@Injectable()
export class InvoicesService {
  constructor(private readonly invoices: InvoicesRepository) {}

  async invoiceOrder(event: OrderCompletedEvent): Promise<'invoiced' | 'duplicate_order'> {
    const inserted = await this.invoices.insert({
      eventId: event.eventId,
      tenantId: event.tenantId,
      orderId: event.orderId,
      amount: event.amount,
      currency: event.currency,
    });
    return inserted.kind === 'created' ? 'invoiced' : 'duplicate_order';
  }

  /** One result per event, in order; the whole batch is written with one statement. */
  async invoiceOrders(events: readonly OrderCompletedEvent[]): Promise<('invoiced' | 'duplicate_order')[]> {
    const created = await this.invoices.insertMany(events.map(toNewInvoice));
    return events.map((event): 'invoiced' | 'duplicate_order' => (created.has(event.eventId) ? 'invoiced' : 'duplicate_order'));
  }
}

function toNewInvoice(event: OrderCompletedEvent): NewInvoice {
  return { eventId: event.eventId, tenantId: event.tenantId, orderId: event.orderId, amount: event.amount, currency: event.currency };
}
