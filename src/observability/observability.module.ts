import { Global, Module } from '@nestjs/common';
import { DeliveryRetries } from './delivery-retries';
import { BillingMetrics } from './billing-metrics';
import { EventOutcomeRecorder } from './event-outcome.recorder';
import { LagMonitor } from './lag-monitor';
import { LoggingModule } from './logging.module';
import { MetricsController } from './metrics.controller';
import { ShutdownLogger } from './shutdown-logger';
import { SilenceWatchdog } from './silence-watchdog';
import { UndecodablePartitions } from './undecodable-partitions';

@Global()
@Module({
  imports: [LoggingModule],
  controllers: [MetricsController],
  providers: [BillingMetrics, EventOutcomeRecorder, LagMonitor, ShutdownLogger, DeliveryRetries, UndecodablePartitions, SilenceWatchdog],
  exports: [BillingMetrics, EventOutcomeRecorder, LoggingModule, DeliveryRetries, UndecodablePartitions, SilenceWatchdog],
})
export class ObservabilityModule {}
