import { Injectable } from '@nestjs/common';
import { OrderCompletedEvent } from '../order-events/order-completed.event';
import { InvoicesRepository } from './invoices.repository';

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
}
