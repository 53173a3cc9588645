import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { Clock } from '../common/clock';
import type { UndecodableBatch } from '../kafka/kafka-adapter';
import { BillingMetrics } from './billing-metrics';
import { ROOT_LOGGER } from './root-logger';

export interface ParkedPartition extends UndecodableBatch {
  since: Date;
}

/**
 * Partitions the consumer parked at a record batch it cannot decode. Nothing after the batch is billed until an
 * operator acts (docs/runbook.md#billingpartitionundecodable), so each is logged as an error, shown by
 * billing_partition_undecodable and named by /health; the other partitions keep flowing.
 */
@Injectable()
export class UndecodablePartitions {
  private readonly logger: Logger;
  private readonly parked = new Map<string, ParkedPartition>();

  constructor(
    private readonly metrics: BillingMetrics,
    private readonly clock: Clock,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ context: 'OrderEventsConsumer' });
  }

  park(batch: UndecodableBatch): void {
    const key = `${batch.topic}/${batch.partition}`;
    const known = this.parked.get(key);
    const since = known?.offset === batch.offset ? known.since : this.clock.now();
    this.parked.set(key, { ...batch, since });
    this.metrics.undecodablePartition.set({ topic: batch.topic, partition: batch.partition }, 1);
    this.logger.error(
      { outcome: 'parked', topic: batch.topic, partition: batch.partition, offset: batch.offset, last_offset: batch.lastOffset, error: batch.error },
      `record batch at ${batch.topic}[${batch.partition}] offset ${batch.offset} cannot be decoded; partition parked (see docs/runbook.md#billingpartitionundecodable)`,
    );
  }

  /** Forgets partitions not in `assigned` (keys "topic/partition"): another member, or a fresh fetch, reports them. */
  keepOnly(assigned: ReadonlySet<string>): void {
    for (const [key, p] of this.parked) {
      if (assigned.has(key)) continue;
      this.parked.delete(key);
      this.metrics.undecodablePartition.set({ topic: p.topic, partition: p.partition }, 0);
    }
  }

  current(): ParkedPartition[] {
    return [...this.parked.values()];
  }
}
