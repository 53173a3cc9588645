import { MigrationInterface, QueryRunner } from 'typeorm';

/** Where each consumer group resumes, kept with the invoices (see src/consumer-offsets). */
export class ConsumerOffsets1764300000000 implements MigrationInterface {
  name = 'ConsumerOffsets1764300000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "consumer_offsets" (
        "group_id" character varying(255) NOT NULL,
        "topic" character varying(249) NOT NULL,
        "partition" integer NOT NULL,
        "next_offset" bigint NOT NULL,
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_consumer_offsets" PRIMARY KEY ("group_id", "topic", "partition")
      )`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "consumer_offsets"`);
  }
}
