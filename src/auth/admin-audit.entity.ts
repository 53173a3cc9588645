import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const AUDIT_OUTCOMES = ['succeeded', 'failed', 'refused'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** One admin action, allowed or refused. Never purged: the retention job leaves this table alone. */
@Entity({ name: 'admin_audit' })
@Index('admin_audit_occurred_at_idx', ['occurredAt'])
export class AdminAuditEntry {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id!: string;

  @Column({ name: 'occurred_at', type: 'timestamptz', default: () => 'now()' })
  occurredAt!: Date;

  @Column({ type: 'varchar', length: 100 })
  action!: string;

  @Column({ type: 'varchar', length: 16 })
  outcome!: AuditOutcome;

  /** The service's error code when the action failed or was refused. */
  @Column({ name: 'error_code', type: 'varchar', length: 100, nullable: true })
  errorCode!: string | null;

  /** The token's sub and iss. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  subject!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  issuer!: string | null;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId!: string;

  /** The route's path parameters and query, as the client sent them (trimmed to fit). */
  @Column({ type: 'jsonb' })
  parameters!: Record<string, unknown>;

  @Column({ name: 'duration_ms', type: 'integer' })
  durationMs!: number;

  @Column({ name: 'request_id', type: 'varchar', length: 64, nullable: true })
  requestId!: string | null;
}
