import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { performance } from 'node:perf_hooks';
import { Clock } from '../common/clock';
import { BillingError } from '../common/errors';
import { RetentionConfig } from '../config/configuration';
import { BillingMetrics } from '../observability/billing-metrics';
import { RetentionRepository } from './retention.repository';
import { ROOT_LOGGER } from '../observability/root-logger';

const DAY_MS = 86_400_000;

export class PurgeInProgressError extends BillingError {
  readonly code = 'retention.purge_in_progress';
}

export interface PurgeResult {
  deleted: number;
  /** Published invoice.created outbox rows removed. */
  outbox_deleted: number;
  cutoff: string;
  retention_days: number;
  duration_ms: number;
}

export type PurgeTrigger = 'cron' | 'admin';

/** Deletes claims, and outbox rows published, older than RETENTION_DAYS. The cron job and POST /admin/cleanup both call purge(). */
@Injectable()
export class RetentionService {
  private readonly logger: Logger;

  constructor(
    private readonly config: RetentionConfig,
    private readonly repository: RetentionRepository,
    private readonly clock: Clock,
    private readonly metrics: BillingMetrics,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ context: 'Retention' });
  }

  async purge(trigger: PurgeTrigger): Promise<PurgeResult> {
    const started = performance.now();
    const cutoff = new Date(this.clock.now().getTime() - this.config.retentionDays * DAY_MS);
    const outcome = await this.repository
      .runExclusive(async (session) => ({
        claims: await this.deleteInBatches(
          (limit) => session.deleteExpiredBatch(cutoff, limit),
          (n) => this.metrics.cleanupDeletedRows.inc(n),
        ),
        outbox: await this.deleteInBatches((limit) => session.deleteExpiredOutboxBatch(cutoff, limit)),
      }))
      .catch((error: unknown) => {
        this.metrics.cleanupFailures.inc();
        this.metrics.cleanupLastFailure.set(this.unixSeconds());
        throw error;
      });
    if (!outcome.acquired) throw new PurgeInProgressError('another retention purge is running; try again later');
    const durationMs = Math.round(performance.now() - started);
    this.metrics.cleanupSeconds.observe(durationMs / 1000);
    this.metrics.cleanupLastSuccess.set(this.unixSeconds());
    const deleted = outcome.result;
    const result = {
      deleted: deleted.claims,
      outbox_deleted: deleted.outbox,
      cutoff: cutoff.toISOString(),
      retention_days: this.config.retentionDays,
      duration_ms: durationMs,
    };
    this.logger.info({ trigger, ...result }, 'retention purge finished');
    return result;
  }

  private async deleteInBatches(deleteBatch: (limit: number) => Promise<number>, counted: (n: number) => void = () => undefined): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await deleteBatch(this.config.cleanupBatchSize);
      if (deleted === 0) return total;
      total += deleted;
      counted(deleted);
    }
  }

  private unixSeconds(): number {
    return this.clock.now().getTime() / 1000;
  }
}
