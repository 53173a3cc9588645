import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DatabaseConfig } from '../config/configuration';
import { connectionBounds, dataSourceOptions, serviceSessionOptions } from './data-source-options';
import { SilenceWatchdog } from './silence-watchdog';
import { TransactionRunner } from './transaction-runner';

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [DatabaseConfig],
      useFactory: (config: DatabaseConfig) => {
        const options = dataSourceOptions(config.url);
        const extra = { ...(options.extra as Record<string, unknown>), ...connectionBounds(config), ...serviceSessionOptions(config) };
        return { ...options, extra, retryAttempts: 3, retryDelay: 1000 };
      },
    }),
  ],
  providers: [TransactionRunner, SilenceWatchdog],
  exports: [TransactionRunner, SilenceWatchdog],
})
export class DatabaseModule {}
