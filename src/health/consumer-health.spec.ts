import { Subject } from 'rxjs';
import { BillingMetrics } from '../observability/billing-metrics';
import { ConsumerHealth } from './consumer-health';

describe('ConsumerHealth', () => {
  it('is down until the consumer connects, up while connected or rebalancing, down once it stops or crashes', () => {
    const metrics = new BillingMetrics();
    const health = new ConsumerHealth(metrics);
    const status = new Subject<string>();
    health.track(status);
    expect(health.isUp()).toBe(false);
    const seen = ['connected', 'rebalancing', 'crashed', 'connected', 'stopped', 'disconnected'].map((state) => {
      status.next(state);
      return health.isUp();
    });
    expect(seen).toEqual([true, true, false, true, false, false]);
  });

  it('exports billing_consumer_up: 1 while connected or rebalancing, else 0', async () => {
    const metrics = new BillingMetrics();
    const status = new Subject<string>();
    new ConsumerHealth(metrics).track(status);
    const up = async () => (await metrics.consumerUp.get()).values[0].value;
    expect(await up()).toBe(0);
    status.next('connected');
    expect(await up()).toBe(1);
    status.next('crashed');
    expect(await up()).toBe(0);
  });
});
