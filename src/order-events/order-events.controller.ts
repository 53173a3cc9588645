import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ORDER_COMPLETED_TOPIC } from '../config/configuration';
import { AdmittedEventsPipe } from './admitted-events.pipe';
import { IdempotentBatchPattern, IdempotentEventPattern } from './idempotent-event-pattern.decorator';
import { InvoicesService } from '../invoices/invoices.service';
import { OrderCompletedEvent } from '../invoices/order-completed.event';
import { OrderCompletedPipe } from './order-completed.pipe';

/** One handler per consume mode (KAFKA_CONSUME_MODE); both call the same business logic. */
@Controller()
export class OrderEventsController {
  constructor(private readonly invoices: InvoicesService) {}

  @IdempotentEventPattern(ORDER_COMPLETED_TOPIC)
  invoiceCompletedOrder(@Payload(OrderCompletedPipe) event: OrderCompletedEvent) {
    return this.invoices.invoiceOrder(event);
  }

  @IdempotentBatchPattern(ORDER_COMPLETED_TOPIC)
  invoiceCompletedOrders(@Payload(AdmittedEventsPipe) events: readonly OrderCompletedEvent[]) {
    return this.invoices.invoiceOrders(events);
  }
}
