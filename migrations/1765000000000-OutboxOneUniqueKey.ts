import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An outbox row's event_id and invoice_id both derive from the source event (UUID v5), so the unique invoice_id
 * already makes event_id unique. Nothing looks a row up by event_id; its index cost a write per invoice and another
 * per published mark (issue #25).
 */
export class OutboxOneUniqueKey1765000000000 implements MigrationInterface {
  name = 'OutboxOneUniqueKey1765000000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "invoice_outbox" DROP CONSTRAINT "UQ_6898efd405e81adfafc078472f0"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "invoice_outbox" ADD CONSTRAINT "UQ_6898efd405e81adfafc078472f0" UNIQUE ("event_id")`);
  }
}
