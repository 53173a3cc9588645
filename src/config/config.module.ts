import { DynamicModule, Global, Module } from '@nestjs/common';
import {
  AppConfig,
  AuthConfig,
  ConsumerPolicyConfig,
  BillingConfig,
  DatabaseConfig,
  HttpConfig,
  KafkaConfig,
  LoggingConfig,
  OutboxConfig,
  RetentionConfig,
  TracingConfig,
} from './configuration';

/** Each concern is injected by its own class, so services read typed values and never process.env. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    const providers = [
      { provide: DatabaseConfig, useValue: config.database },
      { provide: KafkaConfig, useValue: config.kafka },
      { provide: ConsumerPolicyConfig, useValue: config.consumerPolicy },
      { provide: HttpConfig, useValue: config.http },
      { provide: AuthConfig, useValue: config.auth },
      { provide: RetentionConfig, useValue: config.retention },
      { provide: BillingConfig, useValue: config.billing },
      { provide: OutboxConfig, useValue: config.outbox },
      { provide: LoggingConfig, useValue: config.logging },
      { provide: TracingConfig, useValue: config.tracing },
    ];
    return { module: ConfigModule, providers, exports: providers.map((p) => p.provide) };
  }
}
