import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import { Logger } from 'pino';
import { LazyConnection } from '../common/lazy-connection';
import { KafkaConfig } from '../config/configuration';
import { BillingMetrics } from './billing-metrics';
import { KafkaLogging } from './logging.module';
import { ROOT_LOGGER } from './root-logger';
import { KafkaAdmin } from '../kafka/kafka-admin';
import { KafkaClient } from '../kafka/kafka-client';

export interface PartitionLag {
  partition: number;
  lag: number;
  /** Where the group resumes: its committed offset, or the earliest one when it never committed. */
  position: number;
}

/** How often the gauge is refreshed between scrapes, and how long a scrape waits for a fresh value. */
export const LAG_REFRESH_INTERVAL_MS = 15_000;
export const LAG_SCRAPE_BUDGET_MS = 2_000;

/**
 * Sets billing_consumer_lag per partition: the topic's end offset minus what the group has committed, and
 * billing_consumer_committed_offset, which tells a stuck partition (it stays put) from a busy one (it moves).
 * A partition the group never committed counts from the earliest offset, as the consumer starts from the beginning.
 */
@Injectable()
export class LagMonitor implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly logger: Logger;
  private readonly admin: LazyConnection<KafkaAdmin>;
  private inFlight?: Promise<PartitionLag[]>;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly config: KafkaConfig,
    private readonly metrics: BillingMetrics,
    kafkaLogging: KafkaLogging,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ context: LagMonitor.name });
    this.admin = new LazyConnection(() =>
      new KafkaClient(config, {
        clientId: `${config.clientId}-lag`,
        logCreator: kafkaLogging.logCreator,
        retries: 2,
        silence: kafkaLogging.connectivity,
      }).admin(),
    );
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.refreshQuietly(), LAG_REFRESH_INTERVAL_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  async onApplicationShutdown(): Promise<void> {
    // kafkajs retries a call on its own and reconnects to do so: disconnecting under it leaves a socket open.
    await this.inFlight?.catch(() => undefined);
    await this.admin.close();
  }

  /** One computation at a time: concurrent scrapes share it. */
  refresh(): Promise<PartitionLag[]> {
    this.inFlight ??= this.compute().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** For a scrape: a broker outage must not hang /metrics, so the last known values are served after the budget. */
  async refreshWithin(budgetMs: number): Promise<void> {
    let timeout: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => (timeout = setTimeout(resolve, budgetMs)));
    await Promise.race([this.refreshQuietly(), expired]).finally(() => clearTimeout(timeout));
  }

  private async refreshQuietly(): Promise<void> {
    try {
      await this.refresh();
    } catch (error) {
      this.logger.warn({ error: (error as Error).message }, 'consumer lag not refreshed');
    }
  }

  private async compute(): Promise<PartitionLag[]> {
    const admin = await this.admin.get();
    const { topic, groupId } = this.config;
    // One after the other: with Promise.all a failed call would leave its sibling retrying, unobserved, past shutdown.
    const ends = await admin.topicOffsets(topic);
    const committed = await admin.committedOffsets(groupId, topic);
    const committedByPartition = new Map(committed.map((p) => [p.partition, Number(p.offset)]));
    const lags = ends.map(({ partition, high, low }) => {
      const committedOffset = committedByPartition.get(partition) ?? -1;
      const position = committedOffset >= 0 ? committedOffset : Number(low);
      return { partition, lag: Math.max(0, Number(high) - position), position };
    });
    for (const { partition, lag, position } of lags) {
      const labels = { topic, partition: String(partition) };
      this.metrics.consumerLag.set(labels, lag);
      this.metrics.consumerCommittedOffset.set(labels, position);
    }
    return lags;
  }
}
