import { Injectable } from '@nestjs/common';
import { TransactionRunner } from '../database/transaction-runner';

export interface PartitionOffset {
  topic: string;
  partition: number;
  /** The next offset to read. */
  nextOffset: string;
}

@Injectable()
export class ConsumerOffsetsRepository {
  constructor(private readonly transactions: TransactionRunner) {}

  /**
   * Moves stored offsets forward, never back: a member that lost its partitions in a rebalance and still
   * commits late cannot rewind the new owner. Runs in the caller's transaction when there is one.
   */
  async advance(groupId: string, offsets: readonly PartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    await this.transactions.manager().query(
      `INSERT INTO consumer_offsets (group_id, topic, partition, next_offset)
       SELECT $1, * FROM unnest($2::varchar[], $3::int[], $4::bigint[])
       ON CONFLICT (group_id, topic, partition)
       DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()
       WHERE consumer_offsets.next_offset < EXCLUDED.next_offset`,
      [groupId, offsets.map((o) => o.topic), offsets.map((o) => o.partition), offsets.map((o) => o.nextOffset)],
    );
  }

  /** An operator's deliberate move, backwards included. */
  async set(groupId: string, offset: PartitionOffset): Promise<void> {
    await this.transactions.manager().query(
      `INSERT INTO consumer_offsets (group_id, topic, partition, next_offset) VALUES ($1, $2, $3, $4)
       ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()`,
      [groupId, offset.topic, offset.partition, offset.nextOffset],
    );
  }

  async find(groupId: string, topics: readonly string[]): Promise<PartitionOffset[]> {
    const rows: { topic: string; partition: number; next_offset: string }[] = await this.transactions
      .manager()
      .query(
        `SELECT topic, partition, next_offset::text AS next_offset FROM consumer_offsets WHERE group_id = $1 AND topic = ANY($2::varchar[]) ORDER BY topic, partition`,
        [groupId, topics],
      );
    return rows.map((row) => ({ topic: row.topic, partition: row.partition, nextOffset: row.next_offset }));
  }
}
