import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { IdempotencyGuardrail } from './idempotency.guardrail';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { InvoicesModule } from '../invoices/invoices.module';
import { ConsumerOffsetsModule } from '../consumer-offsets/consumer-offsets.module';
import { ConsumerOffsets } from '../consumer-offsets/consumer-offsets.service';
import { SettledPositions } from '../consumer-offsets/settled-positions';
import { ConsumerSupervisor } from './consumer-supervisor';
import { TransientFaultRetrier } from './transient-fault.retrier';
import { DeadLetterPublisher } from './dead-letter.publisher';
import { OrderEventParser } from './order-event.parser';
import { OrderEventsController } from './order-events.controller';
import { OrderCompletedFlow } from './order-completed.flow';

@Module({
  imports: [DiscoveryModule, IdempotencyModule, InvoicesModule, ConsumerOffsetsModule],
  controllers: [OrderEventsController],
  providers: [
    OrderEventParser,
    OrderCompletedFlow,
    DeadLetterPublisher,
    TransientFaultRetrier,
    { provide: SettledPositions, useExisting: ConsumerOffsets },
    ConsumerSupervisor,
    IdempotencyGuardrail,
  ],
})
export class OrderEventsModule {}
