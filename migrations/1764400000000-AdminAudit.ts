import { MigrationInterface, QueryRunner } from 'typeorm';

/** One row per admin action, allowed or refused (see src/audit); the retention job never purges it. */
export class AdminAudit1764400000000 implements MigrationInterface {
  name = 'AdminAudit1764400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "admin_audit" (
        "id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
        "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "action" character varying(100) NOT NULL,
        "outcome" character varying(16) NOT NULL,
        "error_code" character varying(100),
        "subject" character varying(255),
        "issuer" character varying(255),
        "tenant_id" character varying(64) NOT NULL,
        "parameters" jsonb NOT NULL,
        "duration_ms" integer NOT NULL,
        "request_id" character varying(64),
        CONSTRAINT "PK_admin_audit" PRIMARY KEY ("id")
      )`);
    await queryRunner.query(`CREATE INDEX "admin_audit_occurred_at_idx" ON "admin_audit" ("occurred_at")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "admin_audit"`);
  }
}
