import { Clock } from '../common/clock';
import { LoggingConfig } from '../config/configuration';
import { BillingMetrics } from './billing-metrics';
import { createRootLogger } from './root-logger';
import { UndecodablePartitions } from './undecodable-partitions';
import { jsonLinesSink } from '../../test/support/log-lines';

function parkedPartitions() {
  const { sink, lines } = jsonLinesSink();
  const metrics = new BillingMetrics();
  const partitions = new UndecodablePartitions(metrics, new Clock(), createRootLogger(new LoggingConfig({ level: 'info', format: 'json' }), sink));
  return { partitions, metrics, lines };
}

const batch = { topic: 'orders', partition: 2, offset: '40', lastOffset: '44', error: { name: 'Error', message: 'record batch CRC-32C mismatch' } };

describe('UndecodablePartitions', () => {
  it('logs an error naming topic, partition and offsets, and sets the gauge of the partition', async () => {
    const { partitions, metrics, lines } = parkedPartitions();
    partitions.park(batch);
    expect(lines).toEqual([
      expect.objectContaining({ level: 'error', outcome: 'parked', topic: 'orders', partition: 2, offset: '40', last_offset: '44', error: batch.error }),
    ]);
    expect(await metrics.registry.getSingleMetricAsString('billing_partition_undecodable')).toContain(
      'billing_partition_undecodable{topic="orders",partition="2"} 1',
    );
    expect(partitions.current()).toEqual([expect.objectContaining({ ...batch, since: expect.any(Date) })]);
  });

  it('forgets a partition this member no longer holds and zeroes its gauge', async () => {
    const { partitions, metrics } = parkedPartitions();
    partitions.park(batch);
    partitions.park({ ...batch, partition: 3 });
    partitions.keepOnly(new Set(['orders/3']));
    expect(partitions.current().map((p) => p.partition)).toEqual([3]);
    expect(await metrics.registry.getSingleMetricAsString('billing_partition_undecodable')).toContain(
      'billing_partition_undecodable{topic="orders",partition="2"} 0',
    );
  });
});
