import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Fixture, TEST_JWT_SECRET } from './support/fixture';
import { asMessage, orderCompleted, uniqueName, waitFor } from './support/kafka';
import { OtlpReceiver, ReceivedSpan, SPAN_KIND, spanTree } from './support/otlp-receiver';
import { freePort } from './support/standalone/service-process';

const CLAIM_SPAN = 'billing.claim_transaction';
/** A total that appears nowhere else, so its absence from every exported span is meaningful. */
const TOTAL = '4242.17';
const TREE_ATTRIBUTES = [
  'messaging.destination.name',
  'messaging.kafka.offset',
  'messaging.batch.message_count',
  'billing.event_id',
  'billing.event_count',
  'db.query.text',
];

function newTraceparent(): { traceparent: string; traceId: string; spanId: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceparent: `00-${traceId}-${spanId}-01`, traceId, spanId };
}

const traceIdOf = (traceparent: string | undefined) => traceparent?.split('-')[1];

describe('OpenTelemetry traces of the built service (real Kafka, real PostgreSQL, in-test OTLP receiver)', () => {
  let receiver: OtlpReceiver;
  // One per run: each relay reads only its own database's outbox.
  const fixtures: Fixture[] = [];

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
  });

  afterAll(async () => {
    await Promise.all(fixtures.map((f) => f.close()));
    await receiver.close();
  });

  /** Publishes one valid event and one poison message, each with its producer's traceparent, and waits for their traces. */
  async function consumeTracedPair(mode: 'single' | 'batch') {
    const fixture = await Fixture.create(`tracing_${mode}`, { build: true });
    fixtures.push(fixture);
    const { kafka } = fixture;
    const topic = await fixture.topic(`order.completed.tracing-${mode}`, 1);
    await kafka.createTopic(`${topic}.invoice-created`, 1);
    const port = await freePort();
    const service = await fixture.startService({
      KAFKA_TOPIC: topic,
      OUTBOX_TOPIC: `${topic}.invoice-created`,
      KAFKA_GROUP_ID: uniqueName('billing'),
      ...(mode === 'single' && { KAFKA_BATCH_MAX_EVENTS: '1' }),
      PORT: String(port),
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
    const valid = newTraceparent();
    const poison = newTraceparent();
    const event = orderCompleted({ total: TOTAL });
    await kafka.publish(topic, [
      { ...asMessage(event), headers: { traceparent: valid.traceparent } },
      { key: 'poison', value: '{"event_id": not json', headers: { traceparent: poison.traceparent } },
    ]);
    const [announcement, deadLetter] = await Promise.all([kafka.readAll(`${topic}.invoice-created`, 1), kafka.readAll(`${topic}.dlt`, 1)]);
    const sends = (name: string) => receiver.spans.filter((s) => s.name === `send ${name}`);
    // A consumer span ends after its DLT send and stored offset, so it may be exported after the publish spans.
    const consumed = (traceId: string) =>
      receiver.spans.some((s) => s.kind === SPAN_KIND.consumer && (s.traceId === traceId || s.links.some((l) => l.traceId === traceId)));
    await waitFor(
      () => sends(`${topic}.invoice-created`).length > 0 && sends(`${topic}.dlt`).length > 0 && consumed(valid.traceId) && consumed(poison.traceId),
      15_000,
      'the publish spans and both consumer spans',
    );
    return {
      topic,
      port,
      service,
      valid,
      poison,
      event,
      announcement: announcement[0],
      deadLetter: deadLetter[0],
      dltSend: sends(`${topic}.dlt`)[0],
      outboxSend: sends(`${topic}.invoice-created`)[0],
    };
  }

  function expectClaimWithStatements(consume: ReceivedSpan): ReceivedSpan {
    const claim = receiver.childrenOf(consume).find((s) => s.name === CLAIM_SPAN);
    expect(claim).toMatchObject({ kind: SPAN_KIND.internal, attributes: { 'db.system.name': 'postgresql' } });
    const statements = receiver.childrenOf(claim!).filter((s) => s.kind === SPAN_KIND.client && s.attributes['db.system.name'] === 'postgresql');
    expect(statements.map((s) => s.attributes['db.query.text'])).toEqual(expect.arrayContaining([expect.stringMatching(/processed_events/), 'COMMIT']));
    return claim!;
  }

  function expectOutboxContinuesTheEventTrace(run: Awaited<ReturnType<typeof consumeTracedPair>>): void {
    const { announcement, outboxSend, valid, event } = run;
    expect(outboxSend).toMatchObject({
      traceId: valid.traceId,
      parentSpanId: valid.spanId,
      kind: SPAN_KIND.producer,
      attributes: { 'messaging.system': 'kafka', 'billing.source_event_id': event.event_id },
    });
    expect(announcement.headers.traceparent).toBe(`00-${valid.traceId}-${outboxSend.spanId}-01`);
  }

  function expectNothingSensitive(spans: ReceivedSpan[]): void {
    const exported = JSON.stringify(spans);
    expect(exported).not.toContain(TOTAL);
    expect(exported).not.toContain(TEST_JWT_SECRET);
  }

  it('one event per transaction (KAFKA_BATCH_MAX_EVENTS=1): each event continues its producer trace through the claim, the outbox publish and the DLT', async () => {
    const run = await consumeTracedPair('single');
    const { topic, service, valid, poison, event, deadLetter, dltSend } = run;

    const consume = receiver.inTrace(valid.traceId).find((s) => s.kind === SPAN_KIND.consumer)!;
    expect(consume).toMatchObject({
      name: `process ${topic}`,
      parentSpanId: valid.spanId,
      links: [expect.objectContaining({ traceId: valid.traceId, spanId: valid.spanId })],
      attributes: expect.objectContaining({
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': topic,
        'messaging.destination.partition.id': '0',
        'messaging.kafka.offset': 0,
        'billing.event_id': event.event_id,
      }),
    });
    expect(consume.attributes['messaging.consumer.group.name']).toEqual(expect.any(String));
    expectClaimWithStatements(consume);
    expectOutboxContinuesTheEventTrace(run);

    const poisonConsume = receiver.inTrace(poison.traceId).find((s) => s.kind === SPAN_KIND.consumer)!;
    expect(poisonConsume).toMatchObject({ parentSpanId: poison.spanId, attributes: expect.objectContaining({ 'messaging.kafka.offset': 1 }) });
    expect(dltSend).toMatchObject({ traceId: poison.traceId, parentSpanId: poisonConsume.spanId, kind: SPAN_KIND.producer });
    expect(traceIdOf(deadLetter.headers.traceparent)).toBe(poison.traceId);

    // The http instrumentation: a request with a traceparent continues its trace (this one is refused: no token).
    const caller = newTraceparent();
    expect((await fetch(`http://127.0.0.1:${run.port}/invoices`, { headers: { traceparent: caller.traceparent } })).status).toBe(401);
    await waitFor(() => receiver.inTrace(caller.traceId).length > 0, 10_000, 'the HTTP server span');
    expect(receiver.inTrace(caller.traceId)).toEqual([
      expect.objectContaining({
        kind: SPAN_KIND.server,
        parentSpanId: caller.spanId,
        attributes: expect.objectContaining({ 'http.response.status_code': 401 }),
      }),
    ]);

    const invoiced = service.lines.find((l) => l.outcome === 'invoiced' && l.event_id === event.event_id);
    expect(invoiced).toMatchObject({ trace_id: valid.traceId, span_id: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expectNothingSensitive(receiver.spans);
    // TRACE_TREE=file: the trace as text, for docs/tracing.md.
    const tree = (producer: typeof valid) => [`producer span ${producer.spanId} (trace ${producer.traceId})`, ...spanTree(receiver, producer, TREE_ATTRIBUTES)];
    if (process.env.TRACE_TREE) writeFileSync(process.env.TRACE_TREE, [...tree(valid), '', ...tree(poison)].join('\n') + '\n');
  });

  it('groups of events: one span per group, linked to each producer; the outbox and the DLT keep each event trace', async () => {
    const run = await consumeTracedPair('batch');
    const { topic, valid, poison, deadLetter, dltSend } = run;
    const linking = (traceId: string) => receiver.spans.find((s) => s.kind === SPAN_KIND.consumer && s.links.some((l) => l.traceId === traceId));

    const group = linking(valid.traceId)!;
    expect(group).toMatchObject({
      name: `process ${topic}`,
      parentSpanId: '',
      attributes: expect.objectContaining({ 'messaging.system': 'kafka', 'messaging.destination.name': topic }),
    });
    expect(group.traceId).not.toBe(valid.traceId);
    expect(group.links.find((l) => l.traceId === valid.traceId)).toMatchObject({
      spanId: valid.spanId,
      attributes: { 'messaging.kafka.offset': 0, 'messaging.destination.partition.id': '0' },
    });
    expectClaimWithStatements(group);
    expectOutboxContinuesTheEventTrace(run);

    const poisonGroup = linking(poison.traceId)!;
    expect(dltSend).toMatchObject({ traceId: poisonGroup.traceId, parentSpanId: poisonGroup.spanId, kind: SPAN_KIND.producer });
    expect(deadLetter.headers.traceparent).toBe(poison.traceparent);
    expectNothingSensitive(receiver.spans);
  });
});
