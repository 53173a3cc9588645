import { Module } from '@nestjs/common';
import { OutboxController } from './outbox.controller';
import { OutboxListener } from './outbox.listener';
import { OutboxPublisher } from './outbox.publisher';
import { OutboxRelay } from './outbox.relay';
import { OutboxRepository } from './outbox.repository';
import { OutboxService } from './outbox.service';

@Module({
  controllers: [OutboxController],
  providers: [OutboxRepository, OutboxPublisher, OutboxListener, OutboxRelay, OutboxService],
  exports: [OutboxRelay],
})
export class OutboxModule {}
