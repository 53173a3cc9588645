import { context, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { loadConfig } from '../config/configuration';
import { activeTraceFields } from './log-fields';
import { Tracing } from './tracing';
import { startTracing } from './tracing-sdk';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PRODUCER_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${PRODUCER_SPAN}-01`;
const message = (offset: string, traceparent?: string) => ({
  topic: 'order.completed',
  partition: 3,
  offset,
  headers: traceparent ? { traceparent: Buffer.from(traceparent) } : {},
});

describe('tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  it('starts no SDK: spans are no-ops, log lines get no trace fields and the outbox keeps the stored traceparent', async () => {
    expect(await startTracing(loadConfig({ AUTH_JWT_SECRET: 'a'.repeat(32) }).tracing)).toBeUndefined();
    const tracing = new Tracing();
    const seen = await tracing.consumeMessage(message('7', TRACEPARENT), 'billing', () =>
      Promise.resolve({ active: trace.getActiveSpan(), fields: activeTraceFields() }),
    );
    expect(seen).toEqual({ active: undefined, fields: {} });
    expect(tracing.startSend('invoice.created', TRACEPARENT).traceparent).toBeUndefined();
    expect(trace.getTracer('any').startSpan('x').isRecording()).toBe(false);
  });
});

describe('Tracing with an SDK', () => {
  const exporter = new InMemorySpanExporter();
  const tracing = new Tracing();

  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }));
  });
  beforeEach(() => exporter.reset());

  const spanNamed = (name: string) => exporter.getFinishedSpans().find((s) => s.name === name)!;

  it('continues the producer trace of a message, nests the claim under it and names it on log lines', async () => {
    const fields = await tracing.consumeMessage(message('7', TRACEPARENT), 'billing', () => {
      tracing.annotate({ 'billing.event_id': 'e-1' });
      return tracing.inSpan('claim', { 'billing.event_count': 1 }, () => Promise.resolve(activeTraceFields()));
    });
    const consume = spanNamed('process order.completed');
    const claim = spanNamed('claim');
    expect(consume.spanContext().traceId).toBe(TRACE_ID);
    expect(consume.parentSpanContext?.spanId).toBe(PRODUCER_SPAN);
    expect(consume.kind).toBe(SpanKind.CONSUMER);
    expect(consume.links.map((l) => l.context.spanId)).toEqual([PRODUCER_SPAN]);
    expect(consume.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'order.completed',
      'messaging.consumer.group.name': 'billing',
      'messaging.destination.partition.id': '3',
      'messaging.kafka.offset': 7,
      'billing.event_id': 'e-1',
    });
    expect(claim.parentSpanContext?.spanId).toBe(consume.spanContext().spanId);
    expect(fields).toEqual({ trace_id: TRACE_ID, span_id: claim.spanContext().spanId });
  });

  it('opens one span per group in a trace of its own, linked to each producer; a bad traceparent is no link', async () => {
    const other = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
    await tracing.consumeBatch([message('1', TRACEPARENT), message('2', 'not-a-traceparent'), message('3', other)], 'billing', () => Promise.resolve());
    const batch = spanNamed('process order.completed');
    expect(batch.parentSpanContext).toBeUndefined();
    expect([TRACE_ID, 'a'.repeat(32)]).not.toContain(batch.spanContext().traceId);
    expect(batch.links.map((l) => [l.context.traceId, l.attributes?.['messaging.kafka.offset']])).toEqual([
      [TRACE_ID, 1],
      ['a'.repeat(32), 3],
    ]);
    expect(batch.attributes['messaging.batch.message_count']).toBe(3);
  });

  it('gives each outbox message a send span in its source trace, and records a failure by type only', () => {
    const send = tracing.startSend('invoice.created', TRACEPARENT);
    send.end(Object.assign(new Error('value "149.90" refused'), { code: '22003' }));
    const span = spanNamed('send invoice.created');
    expect(send.traceparent).toBe(`00-${TRACE_ID}-${span.spanContext().spanId}-01`);
    expect(span.parentSpanContext?.spanId).toBe(PRODUCER_SPAN);
    expect(span.attributes['error.type']).toBe('22003');
    expect(JSON.stringify([span.attributes, span.status, span.events])).not.toContain('149.90');
  });
});
