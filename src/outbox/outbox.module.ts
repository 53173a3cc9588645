import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OutboxController } from './outbox.controller';
import { OutboxMessage } from './outbox-message.entity';
import { OutboxListener } from './outbox.listener';
import { OutboxPublisher } from './outbox.publisher';
import { OutboxRelay } from './outbox.relay';
import { OutboxRepository } from './outbox.repository';
import { OutboxService } from './outbox.service';

@Module({
  imports: [TypeOrmModule.forFeature([OutboxMessage])],
  controllers: [OutboxController],
  providers: [OutboxRepository, OutboxPublisher, OutboxListener, OutboxRelay, OutboxService],
  exports: [OutboxRelay],
})
export class OutboxModule {}
