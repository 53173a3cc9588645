import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Logger } from 'pino';
import { Clock } from '../common/clock';
import { BillingError } from '../common/errors';
import { OutboxConfig } from '../config/configuration';
import { TransactionRunner } from '../database/transaction-runner';
import { BillingMetrics } from '../observability/billing-metrics';
import { OutboxFaultHook } from './outbox-fault.hook';
import { OutboxListener } from './outbox.listener';
import { OutboxPublisher } from './outbox.publisher';
import { OutboxRepository, PendingOutboxRow } from './outbox.repository';
import { ROOT_LOGGER } from '../observability/root-logger';

/** The broker did not acknowledge a relay round's batch within OUTBOX_PUBLISH_TIMEOUT_MS; retried like any failed round. */
export class OutboxPublishTimeoutError extends BillingError {
  readonly code = 'outbox.publish_timeout';

  constructor(timeoutMs: number) {
    super(`the broker did not acknowledge the outbox batch within ${timeoutMs} ms (OUTBOX_PUBLISH_TIMEOUT_MS)`, { timeout_ms: timeoutMs });
  }
}

export interface RelayStatus {
  state: 'disabled' | 'running' | 'failing' | 'stopped';
  pending: number;
  oldest_pending_age_seconds: number;
  failing_since?: string;
  last_error?: string;
}

/** While rows keep coming, the backlog (a count over the pending rows) is read at most this often. */
const BACKLOG_REFRESH_MS = 1_000;

/**
 * Publishes pending outbox rows and moves the relay cursor past them only after the broker acknowledged them, in the
 * transaction that holds the cursor. Wakes on the outbox NOTIFY, polls as a fallback, and backs off
 * (doubling up to OUTBOX_RETRY_MAX_MS) while the broker or the database fails: the rows simply stay pending.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger: Logger;
  private stopped = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  /** A NOTIFY that came while a round ran: the next poll sleep returns at once. */
  private notified = false;
  private failingSince?: Date;
  private lastError?: string;
  private backlog = { pending: 0, oldestAgeSeconds: 0 };
  private backlogReadAt = -Infinity;

  constructor(
    private readonly config: OutboxConfig,
    private readonly transactions: TransactionRunner,
    private readonly repository: OutboxRepository,
    private readonly publisher: OutboxPublisher,
    private readonly listener: OutboxListener,
    private readonly faults: OutboxFaultHook,
    private readonly metrics: BillingMetrics,
    private readonly clock: Clock,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ context: 'OutboxRelay' });
  }

  onApplicationBootstrap(): void {
    if (this.config.relayEnabled) this.loop = this.run();
  }

  /** No new round once shutdown starts; the consumer is not held up waiting for the one in flight. */
  beforeApplicationShutdown(): void {
    this.stopped = true;
    this.wake?.();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop;
    await this.listener.close();
  }

  status(): RelayStatus {
    const state = !this.config.relayEnabled ? 'disabled' : this.stopped ? 'stopped' : this.failingSince ? 'failing' : 'running';
    return {
      state,
      pending: this.backlog.pending,
      oldest_pending_age_seconds: Math.round(this.backlog.oldestAgeSeconds),
      ...(this.failingSince && { failing_since: this.failingSince.toISOString(), last_error: this.lastError }),
    };
  }

  /** Down when it has failed for longer than OUTBOX_UNHEALTHY_AFTER_MS, or a row has waited that long. */
  isHealthy(): boolean {
    if (!this.config.relayEnabled) return true;
    const limit = this.config.unhealthyAfterMs;
    const failingFor = this.failingSince ? this.clock.now().getTime() - this.failingSince.getTime() : 0;
    return failingFor <= limit && this.backlog.oldestAgeSeconds * 1000 <= limit;
  }

  private async run(): Promise<void> {
    let backoffMs = this.config.retryInitialMs;
    while (!this.stopped) {
      try {
        await this.listener
          .ensureListening(() => this.notify())
          .catch((error: unknown) => this.logger.warn({ error: String(error) }, 'outbox LISTEN failed; polling'));
        this.notified = false;
        const published = await this.drain();
        if (published === 0 || this.clock.now().getTime() - this.backlogReadAt >= BACKLOG_REFRESH_MS) await this.refreshBacklog();
        this.recovered();
        backoffMs = this.config.retryInitialMs;
        // A commit that came during the round has notified: the sleep returns at once.
        await this.sleep(this.config.pollIntervalMs, true);
        if (this.config.lingerMs > 0) await this.sleep(this.config.lingerMs, false);
      } catch (error) {
        this.failed(error);
        await this.sleep(backoffMs, false);
        backoffMs = Math.min(backoffMs * 2, this.config.retryMaxMs);
      }
    }
  }

  /** Relays batches back to back while they come full (a shorter one has caught up); returns how many rows went out. */
  private async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const batch = await this.relayBatch();
      total += batch;
      if (batch < this.config.batchSize || this.stopped) return total;
    }
  }

  /** Counted once committed: a cursor move that rolls back is published again, and counted again, later. */
  private async relayBatch(): Promise<number> {
    const published = await this.transactions.run(async () => {
      const rows = await this.repository.takeNextBatch(this.config.batchSize);
      if (!rows || rows.length === 0) return 0;
      await this.publishWithin(rows, this.config.publishTimeoutMs);
      await this.faults.afterPublish();
      const last = rows[rows.length - 1];
      await this.repository.advanceCursor({ insertXid: last.insert_xid, id: last.id });
      return rows.length;
    });
    this.metrics.outboxPublished.inc(published);
    return published;
  }

  /**
   * The round's transaction holds the relay cursor while the broker is asked, so the wait is bounded: past it the
   * round fails and rolls back, freeing the cursor; the rows stay pending and go out again under the same event_id.
   */
  private async publishWithin(rows: readonly PendingOutboxRow[], timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const abandoned = new AbortController();
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new OutboxPublishTimeoutError(timeoutMs);
        abandoned.abort(error); // the late send keeps its producer to itself, off the next round's
        reject(error);
      }, timeoutMs);
    });
    const publishing = this.publisher.publish(rows, abandoned.signal);
    publishing.catch(() => undefined);
    try {
      await Promise.race([publishing, expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async refreshBacklog(): Promise<void> {
    this.backlog = await this.repository.backlog();
    this.backlogReadAt = this.clock.now().getTime();
    this.metrics.outboxPendingRows.set(this.backlog.pending);
    this.metrics.outboxOldestPendingAgeSeconds.set(this.backlog.oldestAgeSeconds);
  }

  private recovered(): void {
    if (this.failingSince) this.logger.info({ failing_since: this.failingSince.toISOString() }, 'outbox relay recovered');
    this.failingSince = undefined;
    this.lastError = undefined;
  }

  private failed(error: unknown): void {
    this.lastError = error instanceof Error ? error.message : String(error);
    if (this.stopped) {
      this.logger.debug({ error: this.lastError }, 'outbox relay round cut short by shutdown; its rows stay pending');
      return;
    }
    this.metrics.outboxPublishFailures.inc();
    this.failingSince ??= this.clock.now();
    this.logger.warn({ error: this.lastError }, 'outbox relay round failed; rows stay pending and are retried');
    void this.refreshBacklog().catch(() => undefined);
  }

  private notify(): void {
    this.notified = true;
    this.wake?.();
  }

  /** A poll sleep ends early on a NOTIFY; a backoff or linger sleep ends early only on shutdown. */
  private sleep(ms: number, wakeOnNotify: boolean): Promise<void> {
    if (this.stopped || (wakeOnNotify && this.notified)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        if (wakeOnNotify || this.stopped) done();
      };
    });
  }
}
