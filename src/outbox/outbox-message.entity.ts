import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One invoice.created announcement, written in the transaction that creates the invoice and relayed to Kafka later. */
@Entity({ name: 'invoice_outbox' })
@Index('invoice_outbox_pending_idx', ['id'], { where: 'published_at IS NULL' })
@Index('invoice_outbox_published_at_idx', ['publishedAt'], { where: 'published_at IS NOT NULL' })
export class OutboxMessage {
  /** Insert order: the relay publishes the rows of one order in this order. */
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id!: string;

  /** Fixed when the row is written, so every publish of this invoice carries the same id; unique as invoice_id is (both derive from the source event). */
  @Column({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @Column({ name: 'invoice_id', type: 'uuid', unique: true })
  invoiceId!: string;

  @Column({ name: 'source_event_id', type: 'uuid' })
  sourceEventId!: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId!: string;

  @Column({ name: 'order_id', type: 'varchar', length: 128 })
  orderId!: string;

  @Column({ type: 'numeric', precision: 20, scale: 2 })
  amount!: string;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ name: 'invoice_created_at', type: 'timestamptz' })
  invoiceCreatedAt!: Date;

  /** The W3C traceparent of the source event, when it carried a valid one. */
  @Column({ type: 'varchar', length: 55, nullable: true })
  traceparent!: string | null;

  @Column({ name: 'enqueued_at', type: 'timestamptz', default: () => 'now()' })
  enqueuedAt!: Date;

  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;
}
