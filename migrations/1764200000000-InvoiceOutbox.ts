import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The transactional outbox of invoice.created. A statement-level trigger NOTIFYs the relay; PostgreSQL delivers
 * a NOTIFY only when its transaction commits, so the relay wakes for committed rows and never for rolled-back ones.
 */
export class InvoiceOutbox1764200000000 implements MigrationInterface {
  name = 'InvoiceOutbox1764200000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "invoice_outbox" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "event_id" uuid NOT NULL, "invoice_id" uuid NOT NULL, "source_event_id" uuid NOT NULL, "tenant_id" character varying(64) NOT NULL, "order_id" character varying(128) NOT NULL, "amount" numeric(20,2) NOT NULL, "currency" character(3) NOT NULL, "invoice_created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "traceparent" character varying(55), "enqueued_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "published_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "UQ_6898efd405e81adfafc078472f0" UNIQUE ("event_id"), CONSTRAINT "UQ_cd6288682ebcb10d09a9e2a9023" UNIQUE ("invoice_id"), CONSTRAINT "PK_37ebf776d15ce4b9a15a0d403a3" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "invoice_outbox_published_at_idx" ON "invoice_outbox" ("published_at") WHERE published_at IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX "invoice_outbox_pending_idx" ON "invoice_outbox" ("id") WHERE published_at IS NULL`);
    await queryRunner.query(
      `CREATE FUNCTION "invoice_outbox_notify"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('invoice_outbox', ''); RETURN NULL; END $$`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "invoice_outbox_notify" AFTER INSERT ON "invoice_outbox" FOR EACH STATEMENT EXECUTE FUNCTION "invoice_outbox_notify"()`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "invoice_outbox_notify" ON "invoice_outbox"`);
    await queryRunner.query(`DROP FUNCTION "invoice_outbox_notify"()`);
    await queryRunner.query(`DROP INDEX "public"."invoice_outbox_pending_idx"`);
    await queryRunner.query(`DROP INDEX "public"."invoice_outbox_published_at_idx"`);
    await queryRunner.query(`DROP TABLE "invoice_outbox"`);
  }
}
