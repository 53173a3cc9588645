import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ORDER_COMPLETED_TOPIC } from '../config/configuration';
import { ConsumedBatch } from './consumed-batch';
import { IdempotentEventPattern } from './idempotent-event-pattern.decorator';
import { FlowReport, OrderCompletedFlow } from './order-completed.flow';

/** The Nest handler of `order.completed`: the transport hands it the fetched messages, the flow does the rest. */
@Controller()
export class OrderEventsController {
  constructor(private readonly flow: OrderCompletedFlow) {}

  @IdempotentEventPattern(ORDER_COMPLETED_TOPIC)
  invoiceCompletedOrders(@Payload() batch: ConsumedBatch): Promise<FlowReport> {
    return this.flow.process(batch);
  }
}
