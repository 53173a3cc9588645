import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Observable, Subscription } from 'rxjs';
import { BillingMetrics } from '../observability/billing-metrics';

/**
 * Follows the Kafka server's status stream. "rebalancing" counts as up: kafkajs reports no new "connected"
 * after a rebalance, so treating it as down would fail health checks forever after the first rebalance.
 */
const UP_STATES: ReadonlySet<string> = new Set(['connected', 'rebalancing']);

@Injectable()
export class ConsumerHealth implements OnApplicationShutdown {
  private state = 'not_started';
  private subscription?: Subscription;

  constructor(private readonly metrics: BillingMetrics) {}

  track(status: Observable<string>): void {
    this.subscription?.unsubscribe();
    this.subscription = status.subscribe((state) => {
      this.state = state;
      this.metrics.consumerUp.set(this.isUp() ? 1 : 0);
    });
  }

  current(): string {
    return this.state;
  }

  isUp(): boolean {
    return UP_STATES.has(this.state);
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }
}
