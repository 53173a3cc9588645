import { QueryRunner } from 'typeorm';
import { InvoiceRow } from '../invoices/invoices.repository';
import { DeadLetterSource, LoadedMessage } from './loaded-message';

export interface VerdictRow {
  partition: number;
  offset: string;
  timestamp: string;
  event_id: string | null;
  tenant_id: string | null;
  order_id: string | null;
  amount: string | null;
  currency: string | null;
  poison_reason: string | null;
  pending: boolean;
  dead_letter_reason: string | null;
  is_first: boolean;
  same_as_first: boolean;
  invoice_id: string | null;
  invoice_tenant_id: string | null;
  invoice_order_id: string | null;
  invoice_amount: string | null;
  invoice_currency: string | null;
  order_invoice_event_id: string | null;
}

export type OrphanRow = Omit<InvoiceRow, 'insert_xid'>;

export interface Position {
  partition: number;
  offset: number;
}

/**
 * Reconcile's SQL. The range's messages go into temporary tables of one session, so the topic is never held in
 * memory and the matching is done by PostgreSQL; the invoices are only ever read.
 */
export class ReconcileRepository {
  constructor(private readonly session: QueryRunner) {}

  async createWorkTables(): Promise<void> {
    await this.session.query(`DISCARD TEMP`);
    await this.session.query(`
      CREATE TEMP TABLE reconcile_message (
        partition int NOT NULL, "offset" bigint NOT NULL, ts bigint NOT NULL, in_range boolean NOT NULL, pending boolean NOT NULL,
        event_id uuid, tenant_id text, order_id text, amount text, currency text, fingerprint text, poison_reason text,
        PRIMARY KEY (partition, "offset"))`);
    await this.session.query(
      `CREATE TEMP TABLE reconcile_dead_letter (partition int NOT NULL, "offset" bigint NOT NULL, reason text NOT NULL, PRIMARY KEY (partition, "offset"))`,
    );
  }

  async insertMessages(rows: readonly LoadedMessage[]): Promise<void> {
    if (rows.length === 0) return;
    const column = <K extends keyof LoadedMessage>(key: K) => rows.map((row) => row[key]);
    await this.session.query(
      `INSERT INTO reconcile_message
       SELECT * FROM unnest($1::int[], $2::bigint[], $3::bigint[], $4::boolean[], $5::boolean[], $6::uuid[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
       ON CONFLICT DO NOTHING`,
      [
        column('partition'),
        column('offset'),
        column('timestamp'),
        column('inRange'),
        column('pending'),
        column('eventId'),
        column('tenantId'),
        column('orderId'),
        column('amount'),
        column('currency'),
        column('fingerprint'),
        column('poisonReason'),
      ],
    );
  }

  /** A message dead-lettered twice (redelivered poison) keeps its first record. */
  async insertDeadLetters(rows: readonly DeadLetterSource[]): Promise<void> {
    if (rows.length === 0) return;
    await this.session.query(`INSERT INTO reconcile_dead_letter SELECT * FROM unnest($1::int[], $2::bigint[], $3::text[]) ON CONFLICT DO NOTHING`, [
      rows.map((r) => r.partition),
      rows.map((r) => r.offset),
      rows.map((r) => r.reason),
    ]);
  }

  /**
   * Finds, per event_id, its earliest acknowledged delivery that was not dead-lettered: the one the service
   * invoiced (or recorded as duplicate_order); every later one with the same fields was skipped as a duplicate.
   */
  async prepareVerdicts(): Promise<void> {
    await this.session.query(`CREATE INDEX ON reconcile_message (event_id)`);
    await this.session.query(`
      CREATE TEMP TABLE reconcile_verdict AS
      SELECT m.*, d.reason AS dead_letter_reason,
             row_number() OVER w = 1 AS is_first,
             first_value(m.fingerprint) OVER w = m.fingerprint AS same_as_first
      FROM reconcile_message m
      LEFT JOIN reconcile_dead_letter d ON d.partition = m.partition AND d."offset" = m."offset"
      WINDOW w AS (PARTITION BY m.event_id, (d.reason IS NULL AND NOT m.pending) ORDER BY m.ts, m.partition, m."offset")`);
    await this.session.query(`CREATE INDEX ON reconcile_verdict (partition, "offset") WHERE in_range`);
  }

  /** The next page of the range's messages, in partition and offset order, with the invoices that judge them. */
  verdictPage(after: Position, limit: number): Promise<VerdictRow[]> {
    return this.session.query(
      `SELECT v.partition, v."offset"::text AS "offset", v.ts::text AS timestamp, v.event_id, v.tenant_id, v.order_id, v.amount, v.currency,
              v.poison_reason, v.pending, v.dead_letter_reason, v.is_first, coalesce(v.same_as_first, false) AS same_as_first,
              i.id AS invoice_id, i.tenant_id AS invoice_tenant_id, i.order_id AS invoice_order_id, i.amount::text AS invoice_amount,
              i.currency::text AS invoice_currency, o.event_id AS order_invoice_event_id
       FROM reconcile_verdict v
       LEFT JOIN invoices i ON i.event_id = v.event_id
       LEFT JOIN invoices o ON o.tenant_id = v.tenant_id AND o.order_id = v.order_id
       WHERE v.in_range AND (v.partition, v."offset") > ($1, $2)
       ORDER BY v.partition, v."offset"
       LIMIT $3`,
      [after.partition, after.offset, limit],
    );
  }

  /** Invoices created in the window whose event no message read (range or look-back) carries. */
  async collectOrphans(from: Date, to: Date): Promise<void> {
    await this.session.query(
      `CREATE TEMP TABLE reconcile_orphan AS
       SELECT i.id, i.event_id, i.tenant_id, i.order_id, i.amount::text AS amount, i.currency::text AS currency, i.created_at
       FROM invoices i
       WHERE i.created_at >= $1 AND i.created_at < $2
         AND NOT EXISTS (SELECT 1 FROM reconcile_message m WHERE m.event_id = i.event_id)`,
      [from, to],
    );
  }

  orphanPage(afterId: string, limit: number): Promise<OrphanRow[]> {
    return this.session.query(`SELECT * FROM reconcile_orphan WHERE id > $1 ORDER BY id LIMIT $2`, [afterId, limit]);
  }

  async dropWorkTables(): Promise<void> {
    await this.session.query(`DISCARD TEMP`);
  }
}
