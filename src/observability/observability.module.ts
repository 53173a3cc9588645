import { Global, Module } from '@nestjs/common';
import { BillingMetrics } from './billing-metrics';
import { EventOutcomeRecorder } from './event-outcome.recorder';
import { LagMonitor } from './lag-monitor';
import { LoggingModule } from './logging.module';
import { MetricsController } from './metrics.controller';
import { ShutdownLogger } from './shutdown-logger';

@Global()
@Module({
  imports: [LoggingModule],
  controllers: [MetricsController],
  providers: [BillingMetrics, EventOutcomeRecorder, LagMonitor, ShutdownLogger],
  exports: [BillingMetrics, EventOutcomeRecorder, LoggingModule],
})
export class ObservabilityModule {}
