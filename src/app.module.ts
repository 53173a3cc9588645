import { DynamicModule, Module } from '@nestjs/common';
import { AdminModule } from './admin/admin.module';
import { AuthModule } from './auth/auth.module';
import { CommonModule } from './common/common.module';
import { AppConfig } from './config/configuration';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { ExtensionPoints, ExtensionPointsModule } from './extension-points.module';
import { HealthModule } from './health/health.module';
import { HttpApiModule } from './http/http-api.module';
import { InvoicesModule } from './invoices/invoices.module';
import { ObservabilityModule } from './observability/observability.module';
import { OrderEventsModule } from './order-events/order-events.module';
import { OutboxModule } from './outbox/outbox.module';
import { TracingModule } from './tracing/tracing.module';
import { TracingSdk } from './tracing/tracing-sdk';

@Module({})
export class AppModule {
  /** tracingSdk: started by main.ts before Nest; absent when tracing is off. extensions: the no-ops unless given. */
  static forRoot(config: AppConfig, tracingSdk?: TracingSdk, extensions: ExtensionPoints = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        TracingModule.forRoot(tracingSdk),
        ExtensionPointsModule.forRoot(extensions),
        CommonModule,
        ObservabilityModule,
        DatabaseModule,
        OrderEventsModule,
        HttpApiModule,
        AuthModule,
        InvoicesModule,
        AdminModule,
        OutboxModule,
        HealthModule,
      ],
    };
  }
}
