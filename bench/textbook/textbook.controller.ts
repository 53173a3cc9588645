import { createHash } from 'node:crypto';
import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { DataSource } from 'typeorm';

export const TEXTBOOK_TOPIC = process.env.KAFKA_TOPIC ?? 'order.completed';

interface OrderCompleted {
  event_id: string;
  order_id: string;
  tenant_id: string;
  total: string;
  currency?: string;
}

/**
 * What most teams write from the articles: check whether the id was processed, and if not, record it
 * and create the invoice, in one transaction per message. Correct for one consumer; under concurrent
 * redelivery the select-then-insert race is left to the unique constraint.
 */
@Controller()
export class TextbookController {
  constructor(private readonly dataSource: DataSource) {}

  @EventPattern<string>(TEXTBOOK_TOPIC)
  async handle(@Payload() event: OrderCompleted): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const seen: unknown[] = await manager.query('SELECT 1 FROM processed_events WHERE event_id = $1', [event.event_id]);
      if (seen.length > 0) return;
      const fingerprint = createHash('sha256').update(JSON.stringify(event)).digest('hex');
      await manager.query('INSERT INTO processed_events (event_id, fingerprint) VALUES ($1, $2)', [event.event_id, fingerprint]);
      await manager.query('INSERT INTO invoices (event_id, tenant_id, order_id, amount, currency) VALUES ($1, $2, $3, $4, $5)', [
        event.event_id,
        event.tenant_id,
        event.order_id,
        event.total,
        event.currency ?? 'USD',
      ]);
    });
  }
}
