import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { sqlStateOf, unavailableDatabaseOf } from '../database/database-errors';
import { BillingMetrics } from './billing-metrics';

export interface RetryingPartition {
  topic: string;
  partition: number;
  /** The first offset of what is being retried. */
  offset: string;
  since: Date;
  attempts: number;
  lastError: string;
}

/**
 * Which partitions are retrying a transient fault, since when: /health names a partition stuck for too long,
 * and billing_consumer_retrying_seconds shows every one, so one stuck partition stands out while others flow.
 */
@Injectable()
export class DeliveryRetries {
  private readonly retrying = new Map<string, RetryingPartition>();

  constructor(
    private readonly metrics: BillingMetrics,
    private readonly clock: Clock,
  ) {
    metrics.onCollect(() => this.exportRetryingSeconds());
  }

  failed(where: { topic: string; partition: number; offset: string }, error: unknown): void {
    const key = `${where.topic}/${where.partition}`;
    const known = this.retrying.get(key);
    const since = known?.offset === where.offset ? known.since : this.clock.now();
    const attempts = known?.offset === where.offset ? known.attempts + 1 : 1;
    this.retrying.set(key, { ...where, since, attempts, lastError: describe(error) });
    this.metrics.eventRetries.inc({ kind: kindOf(error) });
  }

  recovered(topic: string, partition: number): void {
    if (this.retrying.delete(`${topic}/${partition}`)) this.metrics.retryingSeconds.set({ topic, partition }, 0);
  }

  /** Forgets partitions not in `assigned` (keys "topic/partition"). */
  keepOnly(assigned: ReadonlySet<string>): void {
    for (const [key, r] of this.retrying) if (!assigned.has(key)) this.recovered(r.topic, r.partition);
  }

  stuckLongerThan(thresholdMs: number): RetryingPartition[] {
    const now = this.clock.now().getTime();
    return [...this.retrying.values()].filter((r) => now - r.since.getTime() > thresholdMs);
  }

  private exportRetryingSeconds(): void {
    const now = this.clock.now().getTime();
    for (const r of this.retrying.values()) this.metrics.retryingSeconds.set({ topic: r.topic, partition: r.partition }, (now - r.since.getTime()) / 1000);
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error).slice(0, 300);
  const code = (error as { code?: unknown }).code;
  return `${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}`.slice(0, 300);
}

/** A bounded label: where the fault came from, not its text. */
function kindOf(error: unknown): 'database' | 'broker' | 'other' {
  const name = error instanceof Error ? error.name : '';
  if (name.startsWith('KafkaJS')) return 'broker';
  if (name === 'QueryFailedError' || sqlStateOf(error) !== undefined || unavailableDatabaseOf(error) !== undefined) return 'database';
  return 'other';
}
