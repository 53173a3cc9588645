import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ORDER_COMPLETED_TOPIC } from '../config/configuration';
import { IdempotentEventPattern } from '../idempotency/idempotent-event-pattern.decorator';
import { InvoicesService } from '../invoices/invoices.service';
import { OrderCompletedEvent } from './order-completed.event';
import { OrderCompletedPipe } from './order-completed.pipe';

@Controller()
export class OrderEventsController {
  constructor(private readonly invoices: InvoicesService) {}

  @IdempotentEventPattern(ORDER_COMPLETED_TOPIC)
  invoiceCompletedOrder(@Payload(OrderCompletedPipe) event: OrderCompletedEvent) {
    return this.invoices.invoiceOrder(event);
  }
}
