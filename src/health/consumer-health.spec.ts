import { Subject } from 'rxjs';
import { ConsumerHealth } from './consumer-health';

describe('ConsumerHealth', () => {
  it('is down until the consumer connects, up while connected or rebalancing, down once it stops or crashes', () => {
    const health = new ConsumerHealth();
    const status = new Subject<string>();
    health.track(status);
    expect(health.isUp()).toBe(false);
    const seen = ['connected', 'rebalancing', 'crashed', 'connected', 'stopped', 'disconnected'].map((state) => {
      status.next(state);
      return health.isUp();
    });
    expect(seen).toEqual([true, true, false, true, false, false]);
  });
});
