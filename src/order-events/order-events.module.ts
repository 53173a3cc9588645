import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { IdempotencyGuardrail } from './idempotency.guardrail';
import { IdempotentEventParser } from '../idempotency/idempotent-event';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { RejectedEventSink } from './rejected-event.sink';
import { InvoicesModule } from '../invoices/invoices.module';
import { ConsumerExceptionFilter } from './consumer-exception.filter';
import { ConsumerOffsetsModule } from '../consumer-offsets/consumer-offsets.module';
import { ConsumerOffsets } from '../consumer-offsets/consumer-offsets.service';
import { SettledPositions } from '../consumer-offsets/settled-positions';
import { ConsumerSupervisor } from './consumer-supervisor';
import { TransientFaultRetrier } from './transient-fault.retrier';
import { DeadLetterPublisher } from './dead-letter.publisher';
import { OrderEventParser } from './order-event.parser';
import { OrderEventsController } from './order-events.controller';

@Module({
  imports: [DiscoveryModule, IdempotencyModule, InvoicesModule, ConsumerOffsetsModule],
  controllers: [OrderEventsController],
  providers: [
    { provide: IdempotentEventParser, useClass: OrderEventParser },
    DeadLetterPublisher,
    TransientFaultRetrier,
    { provide: SettledPositions, useExisting: ConsumerOffsets },
    ConsumerSupervisor,
    IdempotencyGuardrail,
    ConsumerExceptionFilter,
    { provide: RejectedEventSink, useExisting: ConsumerExceptionFilter },
  ],
})
export class OrderEventsModule {}
