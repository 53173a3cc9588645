import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Logger } from 'pino';
import { ConsumerPolicyConfig } from '../config/configuration';
import { DeliveryRetries } from '../observability/delivery-retries';
import { MessageCoordinates } from '../observability/event-outcome.recorder';
import { ROOT_LOGGER } from '../observability/root-logger';
import { cappedBackoffMs } from '../common/backoff';

export interface PartitionControl {
  /** Tells the group this member is alive while a long delivery runs. */
  heartbeat(): Promise<void>;
  /** Stops fetching the partition; the function returned resumes it. */
  pause(): () => void;
  /** Makes the next fetch of the partition start at this offset again. */
  rewind(offset: string): void;
}

/** Heartbeats while a delivery runs, well inside the shortest session timeout the broker allows. */
const HEARTBEAT_EVERY_MS = 1_000;

/**
 * Delivers what a partition fetched. Poison never reaches here (the handler dead-letters it), so a failure is a
 * fault that can clear: the partition is parked (paused, rewound to the first message not handled, resumed after
 * a capped exponential backoff) and nothing is acknowledged. The handler returns, so the other partitions keep
 * flowing, and no error reaches kafkajs, which would give up on TypeError or RangeError and restart the
 * consumer (rebalancing the whole group) on anything else.
 */
@Injectable()
export class TransientFaultRetrier implements OnApplicationShutdown {
  private readonly logger: Logger;
  private readonly attempts = new Map<string, { offset: string; count: number }>();
  private readonly resumes = new Set<NodeJS.Timeout>();

  constructor(
    private readonly policy: ConsumerPolicyConfig,
    private readonly retries: DeliveryRetries,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ context: 'OrderEventsConsumer' });
  }

  /** Runs the work of a partition starting at `from`; true when it succeeded, false when the partition was parked. */
  async deliver(from: MessageCoordinates, work: (isRetry: boolean) => Promise<void>, partition: PartitionControl): Promise<boolean> {
    const key = `${from.topic}/${from.partition}`;
    const previous = this.attempts.get(key);
    const attempt = previous?.offset === from.offset ? previous.count : 0;
    try {
      await withHeartbeats(() => work(attempt > 0), partition);
      this.attempts.delete(key);
      this.retries.recovered(from.topic, from.partition);
      return true;
    } catch (error) {
      this.attempts.set(key, { offset: from.offset, count: attempt + 1 });
      this.park(from, attempt, error, partition);
      return false;
    }
  }

  /** After a rebalance, partitions this member lost are no longer its to retry (or to report as stuck). */
  assigned(assignment: Readonly<Record<string, readonly number[]>>): void {
    const kept = new Set(Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((p) => `${topic}/${p}`)));
    for (const key of this.attempts.keys()) if (!kept.has(key)) this.attempts.delete(key);
    this.retries.keepOnly(kept);
  }

  onApplicationShutdown(): void {
    this.resumes.forEach((timer) => clearTimeout(timer));
    this.resumes.clear();
  }

  private park(from: MessageCoordinates, attempt: number, error: unknown, partition: PartitionControl): void {
    const delayMs = cappedBackoffMs(attempt, this.policy.retryInitialMs, this.policy.retryMaxMs);
    this.retries.failed(from, error);
    this.logger.warn(
      { outcome: 'retrying', ...from, attempt: attempt + 1, retry_in_ms: delayMs, error: errorFields(error) },
      'order.completed retrying after a transient fault',
    );
    const resume = partition.pause();
    partition.rewind(from.offset);
    const timer = setTimeout(() => {
      this.resumes.delete(timer);
      resume();
    }, delayMs);
    this.resumes.add(timer);
  }
}

async function withHeartbeats(work: () => Promise<void>, partition: PartitionControl): Promise<void> {
  const timer = setInterval(() => void partition.heartbeat().catch(() => undefined), HEARTBEAT_EVERY_MS);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
}

function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  return { name: error.name, code: (error as { code?: unknown }).code, message: error.message };
}
