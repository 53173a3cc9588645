import { Controller } from '@nestjs/common';
import { ORDER_COMPLETED_TOPIC } from '../config/configuration';
import { EventBatch } from './delivery';
import { ClaimedBatch, ClaimedEvent, IdempotentBatchPattern, IdempotentEventPattern } from './idempotent-event-pattern.decorator';
import { InvoicesService } from '../invoices/invoices.service';
import { ParsedOrderCompleted } from './order-event.parser';

/** One handler per consume mode (KAFKA_CONSUME_MODE); both call the same business logic. */
@Controller()
export class OrderEventsController {
  constructor(private readonly invoices: InvoicesService) {}

  @IdempotentEventPattern(ORDER_COMPLETED_TOPIC)
  invoiceCompletedOrder(@ClaimedEvent() event: ParsedOrderCompleted) {
    return this.invoices.invoiceOrder(event);
  }

  @IdempotentBatchPattern(ORDER_COMPLETED_TOPIC)
  invoiceCompletedOrders(@ClaimedBatch() batch: EventBatch<ParsedOrderCompleted>) {
    return this.invoices.invoiceOrders(batch.events);
  }
}
