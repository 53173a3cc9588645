import { EntityManager } from 'typeorm';

/**
 * The lowest transaction id of this database that may still commit: any id below it had finished when this ran,
 * hence before the snapshot of a later statement. Readers that walk rows in (insert_xid, id) order (the invoice
 * listing, the outbox relay) stop below it, so no row can ever commit behind their cursor. Per database rather than
 * the cluster-wide snapshot xmin, so a long writer in another database does not hold them back. A 32-bit backend_xid
 * becomes 64-bit by its age; age() counts from a next-xid read after the snapshot, so the result errs low. Needs to
 * see the writers' sessions in pg_stat_activity: the same role, or pg_read_all_stats. Call it in its own statement,
 * before the read it bounds, in a READ COMMITTED transaction: the read then takes a later snapshot.
 */
export async function visibilityHorizon(manager: EntityManager): Promise<string> {
  const [{ horizon }]: { horizon: string }[] = await manager.query(
    `WITH snapshot AS (SELECT txid_snapshot_xmax(txid_current_snapshot()) AS next_xid),
          running AS (
            SELECT backend_xid AS xid FROM pg_stat_activity WHERE datname = current_database() AND backend_xid IS NOT NULL
            UNION ALL
            SELECT transaction FROM pg_prepared_xacts WHERE database = current_database())
     SELECT least(next_xid, (SELECT min(next_xid - age(xid)) FROM running))::text AS horizon FROM snapshot`,
  );
  return horizon;
}
