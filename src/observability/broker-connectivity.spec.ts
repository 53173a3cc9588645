import pino from 'pino';
import { BrokerConnectivity, SILENT_BROKER_REPORTED_FOR_MS } from './broker-connectivity';

describe('BrokerConnectivity', () => {
  let now = 0;
  const connectivity = () => new BrokerConnectivity(pino({ level: 'silent' }), () => now);

  beforeEach(() => (now = 1_000_000));

  it('reports a dropped connection until its broker answered and the drop is old enough for a probe to have seen it', () => {
    const tracker = connectivity();
    tracker.answered('billing', '127.0.0.1:9092');
    expect(tracker.silentBrokers()).toEqual([]);
    tracker.silent('billing', '127.0.0.1:9092', 'Fetch', 1);
    now += 60_000;
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

  it('tells clients apart: another client answering does not clear a silent one', () => {
    const tracker = connectivity();
    tracker.silent('billing', '127.0.0.1:9092', 'Fetch', 1);
    tracker.answered('billing-lag', '127.0.0.1:9092');
    now += 60_000;
    expect(tracker.silentBrokers().map((s) => s.client)).toEqual(['billing']);
  });
});
