import { Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

@Entity({ name: 'invoices' })
@Unique('invoices_tenant_order_uq', ['tenantId', 'orderId'])
@Unique('invoices_event_id_uq', ['eventId'])
@Index('invoices_tenant_created_idx', ['tenantId', 'createdAt', 'id'])
@Index('invoices_tenant_xid_idx', ['tenantId', 'insertXid', 'id'])
export class Invoice {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId!: string;

  @Column({ name: 'order_id', type: 'varchar', length: 128 })
  orderId!: string;

  /** NUMERIC comes back from pg as a string: money never passes through a float. */
  @Column({ type: 'numeric', precision: 20, scale: 2 })
  amount!: string;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  /** Id of the inserting transaction: the commit-safe order of the listing (see InvoicesRepository.listPage). */
  @Column({ name: 'insert_xid', type: 'bigint', default: () => 'txid_current()' })
  insertXid!: string;
}
