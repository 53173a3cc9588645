import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Adds the id of the inserting transaction to every invoice. created_at is the transaction START time,
 * so a row can commit after rows with a later created_at; ordering the listing by this id and showing only
 * rows below the snapshot's xmin lets a cursor never skip a late commit.
 */
export class InvoicesCommitSafeOrder1763971200000 implements MigrationInterface {
  name = 'InvoicesCommitSafeOrder1763971200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "invoices" ADD "insert_xid" bigint NOT NULL DEFAULT txid_current()`);
    await queryRunner.query(`CREATE INDEX "invoices_tenant_xid_idx" ON "invoices" ("tenant_id", "insert_xid", "id")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "invoices_tenant_xid_idx"`);
    await queryRunner.query(`ALTER TABLE "invoices" DROP COLUMN "insert_xid"`);
  }
}
