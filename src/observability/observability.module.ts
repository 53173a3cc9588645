import { Global, Module } from '@nestjs/common';
import { BillingMetrics } from './billing-metrics';
import { EventOutcomeRecorder } from './event-outcome.recorder';
import { MetricsController } from './metrics.controller';

@Global()
@Module({
  controllers: [MetricsController],
  providers: [BillingMetrics, EventOutcomeRecorder],
  exports: [BillingMetrics, EventOutcomeRecorder],
})
export class ObservabilityModule {}
