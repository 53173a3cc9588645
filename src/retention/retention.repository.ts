import { Injectable } from '@nestjs/common';
import { DataSource, QueryRunner } from 'typeorm';

/** Key of the session-level advisory lock that lets one replica at a time purge (any constant, used only here). */
const PURGE_LOCK_KEY = '7291044187340651001';

export type Exclusive<T> = { acquired: true; result: T } | { acquired: false };

/** A connection that holds the purge lock; each batch on it is its own autocommitted, short transaction. */
export class PurgeSession {
  constructor(private readonly runner: QueryRunner) {}

  /** SKIP LOCKED: a claim some transaction is touching right now is left for the next purge, never waited on. */
  deleteExpiredBatch(cutoff: Date, limit: number): Promise<number> {
    return this.deleteOldest('processed_events', 'event_id', 'processed_at', cutoff, limit);
  }

  /**
   * Outbox rows go once published (the relay cursor has passed them) and written before the cutoff; a pending row is
   * never purged, however old. Oldest first, in the relay's order, which its index serves.
   */
  deleteExpiredOutboxBatch(cutoff: Date, limit: number): Promise<number> {
    return this.deleted(
      `DELETE FROM invoice_outbox WHERE id IN (
         SELECT o.id FROM invoice_outbox o, invoice_outbox_cursor c
         WHERE (o.insert_xid, o.id) <= (c.insert_xid, c.id) AND o.enqueued_at < $1
         ORDER BY o.insert_xid, o.id LIMIT $2 FOR UPDATE OF o SKIP LOCKED)`,
      cutoff,
      limit,
    );
  }

  private deleteOldest(table: string, key: string, column: string, cutoff: Date, limit: number): Promise<number> {
    return this.deleted(
      `DELETE FROM ${table} WHERE ${key} IN (
         SELECT ${key} FROM ${table} WHERE ${column} < $1
         ORDER BY ${column} LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      cutoff,
      limit,
    );
  }

  private async deleted(sql: string, cutoff: Date, limit: number): Promise<number> {
    const result = await this.runner.query(sql, [cutoff, limit], true);
    return (result as { affected?: number }).affected ?? 0;
  }
}

@Injectable()
export class RetentionRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Runs the work on a dedicated connection that holds a session advisory lock for its whole duration, or
   * reports that another purge (any replica) holds it. If the process dies, PostgreSQL drops the lock with the session.
   */
  async runExclusive<T>(work: (session: PurgeSession) => Promise<T>): Promise<Exclusive<T>> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const rows = (await runner.query(`SELECT pg_try_advisory_lock($1::bigint) AS locked`, [PURGE_LOCK_KEY])) as { locked: boolean }[];
      if (!rows[0].locked) return { acquired: false };
      try {
        return { acquired: true, result: await work(new PurgeSession(runner)) };
      } finally {
        await runner.query(`SELECT pg_advisory_unlock($1::bigint)`, [PURGE_LOCK_KEY]);
      }
    } finally {
      await runner.release();
    }
  }
}
