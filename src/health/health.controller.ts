import { Controller, Get, HttpStatus, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../common/public-route';
import { ConsumerPolicyConfig } from '../config/configuration';
import { ConsumerOffsets } from '../consumer-offsets/consumer-offsets.service';
import { DeliveryRetries } from '../observability/delivery-retries';
import { UndecodablePartitions } from '../observability/undecodable-partitions';
import { KafkaLogging } from '../observability/logging.module';
import { OutboxRelay } from '../outbox/outbox.relay';
import { ConsumerHealth } from './consumer-health';
import { SilentConnections } from '../database/bounded-pg-client';
import { SilenceWatchdog } from '../observability/silence-watchdog';

/** How long /health keeps reporting the database down after a silent connection was dropped. */
export const SILENT_DROP_REPORTED_FOR_MS = 10_000;

interface StatusSettable {
  status(code: number): unknown;
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly consumer: ConsumerHealth,
    private readonly retries: DeliveryRetries,
    private readonly policy: ConsumerPolicyConfig,
    private readonly offsets: ConsumerOffsets,
    private readonly relay: OutboxRelay,
    private readonly undecodable: UndecodablePartitions,
    private readonly kafkaLogging: KafkaLogging,
    private readonly silence: SilenceWatchdog,
  ) {}

  /** 200 only when the database answers SELECT 1, the Kafka consumer is connected and not stuck, and the outbox relay keeps up; 503 otherwise. */
  @Get()
  @Public()
  @HealthCheck()
  @ApiServiceUnavailableResponse({ description: 'The database or the Kafka consumer is down; the body says which' })
  async check(@Res({ passthrough: true }) response: StatusSettable): Promise<HealthCheckResult> {
    try {
      const checks = [
        () => this.databaseCheck(),
        () => this.kafkaConsumer(),
        () => this.undecodableBatches(),
        () => this.kafkaConnections(),
        () => this.storedOffsets(),
        () => this.outboxRelay(),
      ];
      return await this.health.check(checks);
    } catch (error) {
      // Keep Terminus' own body (which check is down), not the generic API error shape.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      response.status(HttpStatus.SERVICE_UNAVAILABLE);
      return error.getResponse() as HealthCheckResult;
    }
  }

  /**
   * Down while the ping gets no answer within 1.5 s, while a connection awaits an answer the server is not working on,
   * and for a while after such a silent connection was dropped (so the fault shows even when it was mended quickly).
   */
  private databaseCheck() {
    const lastDrop = SilentConnections.lastDroppedAt();
    const silent = {
      silent_connections_suspected: this.silence.suspected(),
      silent_connections_dropped: SilentConnections.total(),
      ...(lastDrop !== undefined && { last_silent_connection_dropped_at: new Date(lastDrop).toISOString() }),
    };
    const recentDrop = lastDrop !== undefined && Date.now() - lastDrop < SILENT_DROP_REPORTED_FOR_MS;
    if (silent.silent_connections_suspected > 0 || recentDrop) {
      return this.indicators.check('database').down({ message: 'a PostgreSQL connection went silent (no answer, no reset)', ...silent });
    }
    return this.database.pingCheck('database', { timeout: 1500 });
  }

  /** Down while a partition resumed past a gap: Kafka had deleted events that the (restored) database never saw. */
  private storedOffsets() {
    const indicator = this.indicators.check('stored_offsets');
    const gaps = this.offsets.currentGaps().map((g) => ({
      topic: g.topic,
      partition: g.partition,
      stored_offset: g.storedOffset,
      log_start_offset: g.logStartOffset,
      detected_at: g.detectedAt.toISOString(),
    }));
    return gaps.length > 0 ? indicator.down({ gaps }) : indicator.up();
  }

  /** Down while a partition is parked at a record batch the client cannot decode (docs/runbook.md#billingpartitionundecodable). */
  private undecodableBatches() {
    const indicator = this.indicators.check('kafka_partitions');
    const parked = this.undecodable.current().map((p) => ({
      topic: p.topic,
      partition: p.partition,
      offset: p.offset,
      last_offset: p.lastOffset,
      error: `${p.error.name}: ${p.error.message}`.slice(0, 300),
      parked_since: p.since.toISOString(),
    }));
    return parked.length > 0 ? indicator.down({ undecodable: parked }) : indicator.up();
  }

  /** A consumer that has retried one message for longer than CONSUMER_STUCK_AFTER_MS is down, naming where it is stuck. */
  private kafkaConsumer() {
    const indicator = this.indicators.check('kafka_consumer');
    const state = this.consumer.current();
    const stuck = this.retries.stuckLongerThan(this.policy.stuckAfterMs).map((r) => ({
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
      retrying_since: r.since.toISOString(),
      attempts: r.attempts,
      last_error: r.lastError,
    }));
    if (stuck.length > 0) return indicator.down({ state: 'stuck', stuck });
    return this.consumer.isUp() ? indicator.up({ state }) : indicator.down({ state });
  }

  /** Down while a broker connection of any of the service's Kafka clients went silent and was dropped (see BoundedKafka). */
  private kafkaConnections() {
    const indicator = this.indicators.check('kafka_connections');
    const silent = this.kafkaLogging.connectivity.silentBrokers().map((s) => ({
      client: s.client,
      broker: s.broker,
      request: s.request,
      silent_since: s.since.toISOString(),
      last_timeout_at: s.lastTimeout.toISOString(),
      answered_since: s.answered,
    }));
    return silent.length > 0 ? indicator.down({ silent }) : indicator.up();
  }

  /** Down once it has failed for OUTBOX_UNHEALTHY_AFTER_MS, or a row has waited that long to be published. */
  private outboxRelay() {
    const indicator = this.indicators.check('outbox_relay');
    const status = this.relay.status();
    return this.relay.isHealthy() ? indicator.up({ ...status }) : indicator.down({ ...status });
  }
}
