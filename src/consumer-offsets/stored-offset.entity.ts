import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The next offset to read, per consumer group and partition, written in the transactions that claim the events:
 * the source of truth for where the group resumes, so a database restored from a backup re-reads what it lost.
 */
@Entity({ name: 'consumer_offsets' })
export class StoredOffset {
  @PrimaryColumn({ name: 'group_id', type: 'varchar', length: 255 })
  groupId!: string;

  @PrimaryColumn({ type: 'varchar', length: 249 })
  topic!: string;

  @PrimaryColumn({ type: 'integer' })
  partition!: number;

  @Column({ name: 'next_offset', type: 'bigint' })
  nextOffset!: string;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
