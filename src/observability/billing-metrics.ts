import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { EventOutcome } from './event-outcome';

const OUTCOMES: EventOutcome[] = ['invoiced', 'duplicate', 'duplicate_order', 'conflict', 'poison'];

/** Every Prometheus metric of the service, on a registry of its own so tests can build as many apps as they like. */
@Injectable()
export class BillingMetrics {
  readonly registry = new Registry();

  readonly events = new Counter({
    name: 'billing_events_total',
    help: 'order.completed messages by what the consumer decided',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly processingSeconds = new Histogram({
    name: 'billing_event_processing_seconds',
    help: 'Time from receiving a message to its outcome (claim, invoice, commit)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly duplicateAgeSeconds = new Histogram({
    name: 'billing_duplicate_age_seconds',
    help: 'Now minus the first processing of the event_id, for each duplicate: compare with the retention',
    buckets: [1, 10, 60, 600, 3600, 6 * 3600, 86400, 7 * 86400, 30 * 86400],
    registers: [this.registry],
  });

  /** The same age over RETENTION_DAYS: an alert can ask for duplicates near the window whatever the retention is. */
  readonly duplicateAgeRetentionRatio = new Histogram({
    name: 'billing_duplicate_age_retention_ratio',
    help: 'Age of each duplicate as a fraction of RETENTION_DAYS: past 1, its claim may already be purged',
    buckets: [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 1],
    registers: [this.registry],
  });

  readonly staleEvents = new Counter({
    name: 'billing_stale_events_total',
    help: 'Events older than the claim retention: only the (tenant_id, order_id) backstop deduplicates them',
    registers: [this.registry],
  });

  readonly cleanupDeletedRows = new Counter({
    name: 'billing_cleanup_deleted_rows_total',
    help: 'processed_events rows removed by the retention purge',
    registers: [this.registry],
  });

  readonly cleanupSeconds = new Histogram({
    name: 'billing_cleanup_duration_seconds',
    help: 'Duration of each retention purge',
    buckets: [0.01, 0.1, 1, 10, 60, 300, 1800],
    registers: [this.registry],
  });

  readonly cleanupFailures = new Counter({
    name: 'billing_cleanup_failures_total',
    help: 'Retention purges that failed (a purge skipped because another replica holds the lock is not one)',
    registers: [this.registry],
  });

  readonly cleanupLastSuccess = new Gauge({
    name: 'billing_cleanup_last_success_timestamp_seconds',
    help: 'Unix time of the last retention purge this process finished; 0 until its first',
    registers: [this.registry],
  });

  readonly jwksFetches = new Counter({
    name: 'billing_auth_jwks_fetches_total',
    help: "Fetches of the identity provider's signing keys (discovery included) by outcome: loaded or failed (the last good keys kept)",
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly jwksLastSuccess = new Gauge({
    name: 'billing_auth_jwks_last_success_timestamp_seconds',
    help: "Unix time of the identity provider's key set this process last loaded; 0 until its first (or in HS256 mode)",
    registers: [this.registry],
  });

  readonly adminActions = new Counter({
    name: 'billing_admin_actions_total',
    help: 'Admin actions by action and outcome (succeeded, failed, refused), as the audit trail records them',
    labelNames: ['action', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly cleanupLastFailure = new Gauge({
    name: 'billing_cleanup_last_failure_timestamp_seconds',
    help: 'Unix time of the last retention purge of this process that failed; 0 when none has',
    registers: [this.registry],
  });

  readonly cleanupScheduleInterval = new Gauge({
    name: 'billing_cleanup_schedule_interval_seconds',
    help: 'Longest gap between two scheduled purges of CLEANUP_CRON',
    registers: [this.registry],
  });

  readonly consumerUp = new Gauge({
    name: 'billing_consumer_up',
    help: '1 while the Kafka consumer is connected or rebalancing, else 0 (what /health requires of the connection)',
    registers: [this.registry],
  });

  readonly consumerCommittedOffset = new Gauge({
    name: 'billing_consumer_committed_offset',
    help: 'Offset the consumer group resumes from, per partition: it stops moving when a partition is stuck',
    labelNames: ['topic', 'partition'] as const,
    registers: [this.registry],
  });

  readonly consumerLag = new Gauge({
    name: 'billing_consumer_lag',
    help: 'Messages not yet committed by the consumer group, per partition',
    labelNames: ['topic', 'partition'] as const,
    registers: [this.registry],
  });

  readonly eventRetries = new Counter({
    name: 'billing_event_retries_total',
    help: 'Transient failures (database, broker) after which a message or batch was retried, unacknowledged',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly outboxPendingRows = new Gauge({
    name: 'billing_outbox_pending_rows',
    help: 'invoice.created outbox rows not yet acknowledged by the broker',
    registers: [this.registry],
  });

  readonly outboxOldestPendingAgeSeconds = new Gauge({
    name: 'billing_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest outbox row not yet published (0 when none is pending)',
    registers: [this.registry],
  });

  readonly outboxPublished = new Counter({
    name: 'billing_outbox_published_total',
    help: 'invoice.created messages acknowledged by the broker (a re-announcement or a retry after a crash counts again)',
    registers: [this.registry],
  });

  readonly outboxPublishFailures = new Counter({
    name: 'billing_outbox_publish_failures_total',
    help: 'Relay rounds that failed (broker or database); their rows stay pending and are retried with backoff',
    registers: [this.registry],
  });

  readonly storedOffsetGaps = new Counter({
    name: 'billing_stored_offset_gap_total',
    help: 'Assigned partitions whose stored offset was below the log start: events deleted by Kafka that the database never saw',
    labelNames: ['topic', 'partition'] as const,
    registers: [this.registry],
  });

  readonly undecodablePartition = new Gauge({
    name: 'billing_partition_undecodable',
    help: '1 while a partition is parked at a record batch the client cannot decode (unknown codec, corrupt, CRC mismatch), else 0',
    labelNames: ['topic', 'partition'] as const,
    registers: [this.registry],
  });

  private readonly collectors: (() => void)[] = [];

  readonly retryingSeconds = new Gauge({
    name: 'billing_consumer_retrying_seconds',
    help: 'How long a partition has been retrying the same message (0 when it is not retrying)',
    labelNames: ['topic', 'partition'] as const,
    registers: [this.registry],
    collect: () => this.collectors.forEach((collect) => collect()),
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    for (const outcome of OUTCOMES) this.events.inc({ outcome }, 0);
    for (const kind of ['database', 'broker', 'other']) this.eventRetries.inc({ kind }, 0);
  }

  /** Runs before each scrape, for values that are read rather than counted. */
  onCollect(collect: () => void): void {
    this.collectors.push(collect);
  }
}
