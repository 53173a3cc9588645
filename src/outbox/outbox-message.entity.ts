import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One invoice.created announcement, written in the transaction that creates the invoice and relayed to Kafka later.
 * Published when the relay's cursor (invoice_outbox_cursor) has passed it; the view invoice_outbox_pending lists the rest.
 */
@Entity({ name: 'invoice_outbox' })
@Index('invoice_outbox_relay_order_idx', ['insertXid', 'id'])
export class OutboxMessage {
  /** Insert order within one transaction; the relay publishes in (insert_xid, id) order. */
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

  /** Id of the inserting transaction: with id, the commit-safe order the relay's cursor follows (OutboxRepository). */
  @Column({ name: 'insert_xid', type: 'bigint', default: () => 'txid_current()' })
  insertXid!: string;
}
