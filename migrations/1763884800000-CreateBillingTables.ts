import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateBillingTables1763884800000 implements MigrationInterface {
  name = 'CreateBillingTables1763884800000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "processed_events" (
        "event_id" uuid NOT NULL,
        "fingerprint" character(64) NOT NULL,
        "processed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_processed_events_event_id" PRIMARY KEY ("event_id")
      )`);
    await queryRunner.query(`CREATE INDEX "processed_events_processed_at_idx" ON "processed_events" ("processed_at")`);
    await queryRunner.query(`
      CREATE TABLE "invoices" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "event_id" uuid NOT NULL,
        "tenant_id" character varying(64) NOT NULL,
        "order_id" character varying(128) NOT NULL,
        "amount" numeric(20,2) NOT NULL,
        "currency" character(3) NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "invoices_tenant_order_uq" UNIQUE ("tenant_id", "order_id"),
        CONSTRAINT "invoices_event_id_uq" UNIQUE ("event_id"),
        CONSTRAINT "PK_invoices_id" PRIMARY KEY ("id")
      )`);
    await queryRunner.query(`CREATE INDEX "invoices_tenant_created_idx" ON "invoices" ("tenant_id", "created_at", "id")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "invoices"`);
    await queryRunner.query(`DROP TABLE "processed_events"`);
  }
}
