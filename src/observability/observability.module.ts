import { Global, Module } from '@nestjs/common';
import { DeliveryRetries } from './delivery-retries';
import { BillingMetrics } from './billing-metrics';
import { EventOutcomeRecorder } from './event-outcome.recorder';
import { LagMonitor } from './lag-monitor';
import { LoggingModule } from './logging.module';
import { MetricsController } from './metrics.controller';
import { ShutdownLogger } from './shutdown-logger';
import { UndecodablePartitions } from './undecodable-partitions';

@Global()
@Module({
  imports: [LoggingModule],
  controllers: [MetricsController],
  providers: [BillingMetrics, EventOutcomeRecorder, LagMonitor, ShutdownLogger, DeliveryRetries, UndecodablePartitions],
  exports: [BillingMetrics, EventOutcomeRecorder, LoggingModule, DeliveryRetries, UndecodablePartitions],
})
export class ObservabilityModule {}
