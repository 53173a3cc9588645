import { Module } from '@nestjs/common';
import { IdempotentEventParser } from '../idempotency/idempotent-event';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { InvoicesModule } from '../invoices/invoices.module';
import { DeadLetterPublisher } from './dead-letter.publisher';
import { OrderEventParser } from './order-event.parser';
import { OrderEventsController } from './order-events.controller';

@Module({
  imports: [IdempotencyModule, InvoicesModule],
  controllers: [OrderEventsController],
  providers: [
    OrderEventParser,
    { provide: IdempotentEventParser, useExisting: OrderEventParser },
    DeadLetterPublisher,
  ],
})
export class OrderEventsModule {}
