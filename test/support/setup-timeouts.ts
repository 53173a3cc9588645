// Real brokers rebalance and real databases restart: integration tests get minutes, not seconds.
jest.setTimeout(120_000);
