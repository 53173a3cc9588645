import { Controller, Get, Header } from '@nestjs/common';
import { Public } from '../common/public-route';
import { BillingMetrics } from './billing-metrics';
import { LAG_SCRAPE_BUDGET_MS, LagMonitor } from './lag-monitor';

@Public()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: BillingMetrics,
    private readonly lag: LagMonitor,
  ) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    await this.lag.refreshWithin(LAG_SCRAPE_BUDGET_MS);
    return this.metrics.registry.metrics();
  }
}
