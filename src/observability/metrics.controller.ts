import { Controller, Get, Header } from '@nestjs/common';
import { BillingMetrics } from './billing-metrics';

@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: BillingMetrics) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
