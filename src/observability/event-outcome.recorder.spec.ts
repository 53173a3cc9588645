import { LoggingConfig, RetentionConfig } from '../config/configuration';
import { BillingMetrics } from './billing-metrics';
import { EventOutcomeRecorder } from './event-outcome.recorder';
import { createRootLogger } from './root-logger';
import { jsonLinesSink } from '../../test/support/log-lines';

function capturingLogger() {
  const { sink, lines } = jsonLinesSink();
  return { logger: createRootLogger(new LoggingConfig({ level: 'info', format: 'json' }), sink), lines };
}

const RETENTION = new RetentionConfig({ retentionDays: 30, cleanupCron: '0 3 * * *', cleanupBatchSize: 5000 });

describe('EventOutcomeRecorder', () => {
  it('writes one structured JSON line per outcome with the event and its Kafka coordinates', () => {
    const { logger, lines } = capturingLogger();
    const metrics = new BillingMetrics();
    const recorder = new EventOutcomeRecorder(metrics, logger, RETENTION);

    recorder.record('duplicate', {
      message: { topic: 'order.completed', partition: 3, offset: '42' },
      event: { eventId: 'e-1', orderId: 'o-1', tenantId: 'acme' },
      durationMs: 4,
      duplicateAgeMs: 9000,
    });

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      msg: 'order.completed duplicate',
      context: 'OrderEventsConsumer',
      outcome: 'duplicate',
      event_id: 'e-1',
      order_id: 'o-1',
      tenant_id: 'acme',
      topic: 'order.completed',
      partition: 3,
      offset: '42',
      duplicate_age_ms: 9000,
    });
  });

  it('logs poison at warn with its error code, and nulls for what the message did not carry', () => {
    const { logger, lines } = capturingLogger();
    const recorder = new EventOutcomeRecorder(new BillingMetrics(), logger, RETENTION);
    const error = Object.assign(new Error('bad total'), { code: 'event.invalid_payload' });

    recorder.record('poison', { message: { topic: 't', partition: 0, offset: '7' }, error });

    expect(lines[0]).toMatchObject({ level: 'warn', outcome: 'poison', event_id: null, order_id: null, tenant_id: null, offset: '7' });
    expect(lines[0].error).toEqual({ name: 'Error', code: 'event.invalid_payload', message: 'bad total' });
  });

  it('counts each outcome and feeds the duplicate age histogram', async () => {
    const { logger } = capturingLogger();
    const metrics = new BillingMetrics();
    const recorder = new EventOutcomeRecorder(metrics, logger, RETENTION);
    const message = { topic: 't', partition: 0, offset: '0' };
    recorder.record('invoiced', { message, durationMs: 3 });
    recorder.record('duplicate', { message, durationMs: 2, duplicateAgeMs: 120_000 });

    const text = await metrics.registry.metrics();
    expect(text).toContain('billing_events_total{outcome="invoiced"} 1');
    expect(text).toContain('billing_events_total{outcome="duplicate"} 1');
    expect(text).toContain('billing_events_total{outcome="poison"} 0');
    expect(text).toContain('billing_duplicate_age_seconds_count 1');
    expect(text).toContain('billing_event_processing_seconds_count 2');
  });

  it('measures the age of a duplicate against RETENTION_DAYS', async () => {
    const metrics = new BillingMetrics();
    const recorder = new EventOutcomeRecorder(metrics, capturingLogger().logger, RETENTION);
    const message = { topic: 't', partition: 0, offset: '0' };
    recorder.record('duplicate', { message, duplicateAgeMs: 20 * 86_400_000 });
    recorder.record('duplicate', { message, duplicateAgeMs: 60_000 });

    const text = await metrics.registry.metrics();
    expect(text).toContain('billing_duplicate_age_retention_ratio_bucket{le="0.5"} 1');
    expect(text).toContain('billing_duplicate_age_retention_ratio_bucket{le="0.75"} 2');
  });
});
