import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Logger } from 'pino';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob, CronTime } from 'cron';
import { RetentionConfig } from '../config/configuration';
import { BillingMetrics } from '../observability/billing-metrics';
import { PurgeInProgressError, PurgeResult, RetentionService } from './retention.service';
import { ROOT_LOGGER } from '../observability/root-logger';

export const RETENTION_JOB = 'retention-purge';

/** Longest gap between consecutive runs ahead (a weekday-only cron has its weekend): what a purge alert may allow. */
export function longestGapSeconds(cronTime: CronTime, runs = 64): number {
  const times = cronTime.sendAt(runs).map((time) => time.toMillis());
  return Math.max(...times.slice(1).map((time, i) => (time - times[i]) / 1000));
}

/** Runs the purge on CLEANUP_CRON. Registered by hand because a @Cron decorator cannot read typed config. */
@Injectable()
export class RetentionScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger: Logger;

  constructor(
    private readonly registry: SchedulerRegistry,
    private readonly config: RetentionConfig,
    private readonly retention: RetentionService,
    private readonly metrics: BillingMetrics,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ context: 'Retention' });
  }

  onApplicationBootstrap(): void {
    const job = CronJob.from({
      cronTime: this.config.cleanupCron,
      onTick: () => {
        void this.runScheduledPurge();
      },
    });
    this.registry.addCronJob(RETENTION_JOB, job);
    job.start();
    this.metrics.cleanupScheduleInterval.set(longestGapSeconds(job.cronTime));
  }

  onApplicationShutdown(): void {
    if (this.registry.doesExist('cron', RETENTION_JOB)) this.registry.deleteCronJob(RETENTION_JOB);
  }

  /** The cron tick. Never throws: another replica purging is normal, and a failure waits for the next tick. */
  async runScheduledPurge(): Promise<PurgeResult | null> {
    try {
      return await this.retention.purge('cron');
    } catch (error) {
      if (error instanceof PurgeInProgressError) {
        this.logger.info('retention purge skipped: another replica is purging');
      } else {
        this.logger.error({ error: error instanceof Error ? error.message : String(error) }, 'retention purge failed; the next tick retries');
      }
      return null;
    }
  }
}
