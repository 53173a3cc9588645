import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DatabaseConfig } from '../config/configuration';
import { dataSourceOptions } from './data-source-options';
import { TransactionRunner } from './transaction-runner';

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [DatabaseConfig],
      useFactory: (config: DatabaseConfig) => {
        const options = dataSourceOptions(config.url);
        const timeouts = { statement_timeout: config.statementTimeoutMs, lock_timeout: config.lockTimeoutMs };
        // Each feature module registers its own entities (TypeOrmModule.forFeature): this module imports none.
        return { ...options, autoLoadEntities: true, extra: { ...options.extra, ...timeouts }, retryAttempts: 3, retryDelay: 1000 };
      },
    }),
  ],
  providers: [TransactionRunner],
  exports: [TransactionRunner],
})
export class DatabaseModule {}
