import pino from 'pino';
import { BrokerConnectivity, quietBrokerClearsAfterMs, SILENT_BROKER_REPORTED_FOR_MS } from './broker-connectivity';

describe('BrokerConnectivity', () => {
  const requestTimeoutMs = 10_000;
  const quietMs = quietBrokerClearsAfterMs(requestTimeoutMs);
  let now = 0;
  const connectivity = () => new BrokerConnectivity(pino({ level: 'silent' }), quietMs, () => now);

  beforeEach(() => (now = 1_000_000));

  it('reports a dropped connection until its broker answered and the drop is old enough for a probe to have seen it', () => {
    const tracker = connectivity();
    tracker.answered('billing', '127.0.0.1:9092');
    expect(tracker.silentBrokers()).toEqual([]);
    tracker.silent('billing', '127.0.0.1:9092', 'Fetch', 1);
    now += SILENT_BROKER_REPORTED_FOR_MS;
    expect(tracker.silentBrokers()).toMatchObject([{ client: 'billing', broker: '127.0.0.1:9092', request: 'Fetch', answered: false }]);
    tracker.answered('billing', '127.0.0.1:9092');
    expect(tracker.silentBrokers()).toEqual([]);
  });

  it('keeps a connection that answered right after its drop down for the reporting period, then up', () => {
    const tracker = connectivity();
    tracker.silent('billing-outbox', '127.0.0.1:9092', 'Produce', 2);
    now += 300;
    tracker.answered('billing-outbox', '127.0.0.1:9092');
    expect(tracker.silentBrokers()).toHaveLength(1);
    now += SILENT_BROKER_REPORTED_FOR_MS;
    expect(tracker.silentBrokers()).toEqual([]);
  });

  it('clears a client that never sends again once another client of the process hears from that broker', () => {
    const tracker = connectivity();
    tracker.silent('billing-dlt', '127.0.0.1:9092', 'Produce', 1);
    now += 300;
    tracker.answered('billing', '127.0.0.1:9092');
    now += SILENT_BROKER_REPORTED_FOR_MS;
    expect(tracker.silentBrokers()).toEqual([]);
  });

  it('does not let an answer from another broker clear a silent one', () => {
    const tracker = connectivity();
    tracker.silent('billing-dlt', '127.0.0.1:9092', 'Produce', 1);
    tracker.answered('billing', '127.0.0.1:9093');
    now += SILENT_BROKER_REPORTED_FOR_MS;
    expect(tracker.silentBrokers().map((s) => s.broker)).toEqual(['127.0.0.1:9092']);
  });

  it('clears a drop that nothing followed (no answer, no other timeout) after the quiet period, not before', () => {
    const tracker = connectivity();
    tracker.silent('billing-outbox', '127.0.0.1:9092', 'Produce', 1);
    now += quietMs - 1;
    expect(tracker.silentBrokers()).toHaveLength(1);
    now += 1;
    expect(tracker.silentBrokers()).toEqual([]);
  });

  it('stays down while a client keeps timing out on that broker, each within a request timeout of the last', () => {
    const tracker = connectivity();
    const first = now;
    for (let i = 0; i < 10; i++) {
      tracker.silent('billing', '127.0.0.1:9092', 'Fetch', 1);
      now += requestTimeoutMs + 1_000;
      expect(tracker.silentBrokers()).toMatchObject([{ client: 'billing', since: new Date(first) }]);
    }
  });

  it('keeps the quiet period above the reporting period and a request timeout with its retry', () => {
    expect(quietBrokerClearsAfterMs(1_000)).toBe(SILENT_BROKER_REPORTED_FOR_MS);
    expect(quietBrokerClearsAfterMs(10_000)).toBe(20_000);
  });
});
