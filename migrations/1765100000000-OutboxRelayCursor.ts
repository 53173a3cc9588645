import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The relay follows one commit-safe cursor instead of marking every row it published: marking wrote a new version of
 * each row into its indexes and cost PostgreSQL more than writing the row (BENCHMARKS.md, issue #25). Rows are relayed
 * in (insert_xid, id) order, read only below the visibility horizon, as the invoice listing is, so no row can commit
 * behind the cursor. The cursor starts just before the first row still pending, so nothing pending is skipped; rows
 * published after it under the old marking go out once more, with their own event_id, which receivers deduplicate.
 */
export class OutboxRelayCursor1765100000000 implements MigrationInterface {
  name = 'OutboxRelayCursor1765100000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "invoice_outbox" ADD "insert_xid" bigint NOT NULL DEFAULT txid_current()`);
    await queryRunner.query(`CREATE INDEX "invoice_outbox_relay_order_idx" ON "invoice_outbox" ("insert_xid", "id")`);
    await queryRunner.query(
      `CREATE TABLE "invoice_outbox_cursor" ("one_row" boolean PRIMARY KEY DEFAULT true CHECK ("one_row"), "insert_xid" bigint NOT NULL, "id" bigint NOT NULL)`,
    );
    await queryRunner.query(
      `INSERT INTO "invoice_outbox_cursor" ("insert_xid", "id")
       SELECT txid_current(), coalesce((SELECT min("id") - 1 FROM "invoice_outbox" WHERE "published_at" IS NULL), (SELECT max("id") FROM "invoice_outbox"), 0)`,
    );
    await queryRunner.query(`DROP INDEX "public"."invoice_outbox_pending_idx"`);
    await queryRunner.query(`DROP INDEX "public"."invoice_outbox_published_at_idx"`);
    await queryRunner.query(`ALTER TABLE "invoice_outbox" DROP COLUMN "published_at"`);
    await queryRunner.query(
      `CREATE VIEW "invoice_outbox_pending" AS
       SELECT o.* FROM "invoice_outbox" o, "invoice_outbox_cursor" c WHERE (o."insert_xid", o."id") > (c."insert_xid", c."id")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP VIEW "invoice_outbox_pending"`);
    await queryRunner.query(`ALTER TABLE "invoice_outbox" ADD "published_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(
      `UPDATE "invoice_outbox" o SET "published_at" = now() FROM "invoice_outbox_cursor" c WHERE (o."insert_xid", o."id") <= (c."insert_xid", c."id")`,
    );
    await queryRunner.query(`CREATE INDEX "invoice_outbox_published_at_idx" ON "invoice_outbox" ("published_at") WHERE published_at IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX "invoice_outbox_pending_idx" ON "invoice_outbox" ("id") WHERE published_at IS NULL`);
    await queryRunner.query(`DROP TABLE "invoice_outbox_cursor"`);
    await queryRunner.query(`DROP INDEX "public"."invoice_outbox_relay_order_idx"`);
    await queryRunner.query(`ALTER TABLE "invoice_outbox" DROP COLUMN "insert_xid"`);
  }
}
