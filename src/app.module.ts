import { DynamicModule, Module } from '@nestjs/common';
import { AdminModule } from './admin/admin.module';
import { AuthModule } from './auth/auth.module';
import { CommonModule } from './common/common.module';
import { AppConfig } from './config/configuration';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { HttpApiModule } from './http/http-api.module';
import { InvoicesModule } from './invoices/invoices.module';
import { ObservabilityModule } from './observability/observability.module';
import { OrderEventsModule } from './order-events/order-events.module';
import { OutboxModule } from './outbox/outbox.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot(config), CommonModule, ObservabilityModule, DatabaseModule, OrderEventsModule, HttpApiModule, AuthModule, InvoicesModule, AdminModule, OutboxModule, HealthModule],
    };
  }
}
