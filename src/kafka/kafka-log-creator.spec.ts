import { logLevel } from 'kafkajs';
import { LoggingConfig } from '../config/configuration';
import { kafkaLogCreator } from './kafka-log-creator';
import { createRootLogger } from '../observability/root-logger';
import { jsonLinesSink } from '../../test/support/log-lines';

describe('kafkaLogCreator', () => {
  const { sink, lines } = jsonLinesSink();
  const log = kafkaLogCreator(createRootLogger(new LoggingConfig({ level: 'info', format: 'json' }), sink))(logLevel.INFO);

  beforeEach(() => (lines.length = 0));

  it('writes kafkajs entries as structured lines of the service logger', () => {
    log({ namespace: 'Consumer', level: logLevel.WARN, label: 'WARN', log: { message: 'rebalancing', timestamp: 'x', groupId: 'billing-service' } });
    expect(lines).toEqual([
      expect.objectContaining({ level: 'warn', context: 'kafkajs', namespace: 'Consumer', msg: 'rebalancing', groupId: 'billing-service' }),
    ]);
  });

  it('does not report an already existing topic as an error', () => {
    log({ namespace: 'Connection', level: logLevel.ERROR, label: 'ERROR', log: { message: 'Response CreateTopics(key: 19, version: 3)', timestamp: 'x' } });
    expect(lines).toEqual([]);
  });

  it('reports an answer kafkajs retries (a partition changing leader) as a warning, and a final one as an error', () => {
    const response = (error: string) =>
      log({ namespace: 'Connection', level: logLevel.ERROR, label: 'ERROR', log: { message: 'Response Produce(key: 0, version: 7)', timestamp: 'x', error } });
    response('This server is not the leader for that topic-partition');
    response('The request included a message larger than the max message size the server will accept');
    expect(lines.map(({ level, error }) => ({ level, error }))).toEqual([
      { level: 'warn', error: 'This server is not the leader for that topic-partition' },
      { level: 'error', error: 'The request included a message larger than the max message size the server will accept' },
    ]);
  });
});
