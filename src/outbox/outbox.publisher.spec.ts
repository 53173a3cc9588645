import pino from 'pino';
import { LazyConnection } from '../common/lazy-connection';
import { loadConfig } from '../config/configuration';
import { KafkaLogging } from '../observability/logging.module';
import { Tracing } from '../tracing/tracing';
import { OutboxPublisher, sendsWithin, toMessage } from './outbox.publisher';
import { PendingOutboxRow } from './outbox.repository';

const ROW: PendingOutboxRow = {
  id: '7',
  insert_xid: '1234',
  event_id: '0b0a4b6e-6f2a-4d2c-9a34-1d9c1e7f0a11',
  invoice_id: '5c1f7f3e-2b7d-4f51-8a3e-7d2f4b9c8e22',
  source_event_id: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c33',
  tenant_id: 'acme',
  order_id: 'order-42',
  amount: '149.90',
  currency: 'EUR',
  invoice_created_at: new Date('2026-11-25T10:00:00.123Z'),
  traceparent: null,
};

describe('toMessage', () => {
  it('keys by order_id and carries the contract fields, amount as a decimal string', () => {
    const message = toMessage(ROW);
    expect(message.key).toBe('order-42');
    expect(JSON.parse(String(message.value))).toEqual({
      event_id: ROW.event_id,
      event_type: 'invoice.created',
      invoice_id: ROW.invoice_id,
      source_event_id: ROW.source_event_id,
      tenant_id: 'acme',
      order_id: 'order-42',
      amount: '149.90',
      currency: 'EUR',
      created_at: '2026-11-25T10:00:00.123Z',
    });
    expect(message.headers).toEqual({ 'x-source-event-id': ROW.source_event_id });
  });

  it('passes the traceparent on only when the source event had one', () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(toMessage({ ...ROW, traceparent }).headers).toEqual({ 'x-source-event-id': ROW.source_event_id, traceparent });
  });

  it("carries the publish span's traceparent when tracing gives one", () => {
    const publishSpan = '00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-01';
    const row = { ...ROW, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };
    expect(toMessage(row, publishSpan).headers).toEqual({ 'x-source-event-id': ROW.source_event_id, traceparent: publishSpan });
  });
});

describe('sendsWithin', () => {
  const message = (key: string, valueBytes: number, headers = {}) => ({ key, value: 'v'.repeat(valueBytes), headers });
  const keys = (sends: { key?: unknown }[][]) => sends.map((send) => send.map((m) => m.key));

  it('cuts the messages, in order, into sends of at most the limit, counting keys, values, headers and framing', () => {
    const messages = ['a', 'b', 'c', 'd', 'e'].map((key) => message(key, 100 - 32 - 1));
    expect(keys(sendsWithin(messages, 200))).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(keys(sendsWithin(messages, 199))).toEqual([['a'], ['b'], ['c'], ['d'], ['e']]);
    expect(keys(sendsWithin([message('a', 10, { h: ['x'.repeat(100), null] })], 150))).toEqual([['a']]);
    expect(keys(sendsWithin([message('a', 10, { h: ['x'.repeat(100), null] }), message('b', 1)], 240))).toEqual([['a'], ['b']]);
  });

  it('sends a message larger than the limit alone, and nothing for no messages', () => {
    expect(keys(sendsWithin([message('a', 10), message('b', 5_000), message('c', 10)], 1_024))).toEqual([['a'], ['b'], ['c']]);
    expect(sendsWithin([], 1_024)).toEqual([]);
  });
});

interface Send {
  producer: ScriptedProducer;
  messages: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** A producer whose sends end when the test says so. */
class ScriptedProducer {
  disconnected = false;
  constructor(private readonly sent: Send[]) {}
  connect(): Promise<void> {
    return Promise.resolve();
  }
  disconnect(): Promise<void> {
    this.disconnected = true;
    return Promise.resolve();
  }
  send({ topic, messages }: { topic: string; messages: unknown[] }): Promise<unknown> {
    return new Promise((resolve, reject) =>
      this.sent.push({ producer: this, messages: messages.length, resolve: () => resolve([{ topicName: topic, partition: 0, errorCode: 0 }]), reject }),
    );
  }
}

describe('OutboxPublisher', () => {
  let sent: Send[];
  let publisher: OutboxPublisher;

  beforeEach(() => {
    const config = loadConfig({ AUTH_JWT_SECRET: 'a-secret-of-at-least-thirty-two-characters!', OUTBOX_SEND_MAX_BYTES: '1024' });
    publisher = new OutboxPublisher(config.kafka, config.outbox, new KafkaLogging(pino({ enabled: false }), config.kafka), new Tracing());
    sent = [];
    Object.assign(publisher, { producer: new LazyConnection(() => new ScriptedProducer(sent)), topicCreated: Promise.resolve(1) });
  });

  const sendsStarted = async (count: number) => {
    while (sent.length < count) await new Promise((resolve) => setImmediate(resolve));
  };

  it('a send abandoned by its caller fails late without cutting short the next send: each closes only its own producer', async () => {
    const abandoned = new AbortController();
    const late = publisher.publish([ROW], abandoned.signal);
    await sendsStarted(1);
    abandoned.abort(new Error('publish timed out'));
    const next = publisher.publish([ROW]);
    await sendsStarted(2);
    sent[0].reject(new Error('broker gone'));
    await expect(late).rejects.toThrow('broker gone');
    expect(sent[0].producer.disconnected).toBe(true);
    expect(sent[1].producer.disconnected).toBe(false);
    sent[1].resolve();
    await expect(next).resolves.toBeUndefined();
  });

  it('a failed send closes its producer, and the next send connects a new one', async () => {
    const failing = publisher.publish([ROW]);
    await sendsStarted(1);
    sent[0].reject(new Error('broker gone'));
    await expect(failing).rejects.toThrow('broker gone');
    expect(sent[0].producer.disconnected).toBe(true);
    const next = publisher.publish([ROW]);
    await sendsStarted(2);
    expect(sent[1].producer).not.toBe(sent[0].producer);
    sent[1].resolve();
    await expect(next).resolves.toBeUndefined();
  });

  it('sends a batch larger than OUTBOX_SEND_MAX_BYTES in several sends, each started once the one before was acknowledged', async () => {
    const rows = Array.from({ length: 10 }, (_, i) => ({ ...ROW, id: String(i), order_id: `order-${i}` }));
    const publishing = publisher.publish(rows);
    const messagesSent = () => sent.reduce((n, send) => n + send.messages, 0);
    let next = 0;
    do {
      await sendsStarted(next + 1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(sent).toHaveLength(next + 1);
      sent[next++].resolve();
    } while (messagesSent() < rows.length);
    await expect(publishing).resolves.toBeUndefined();
    expect(sent.map((send) => send.messages)).toEqual(
      sendsWithin(
        rows.map((row) => toMessage(row)),
        1024,
      ).map((send) => send.length),
    );
    expect(sent.length).toBeGreaterThan(2);
  });
});
