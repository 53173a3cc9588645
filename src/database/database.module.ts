import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DatabaseConfig } from '../config/configuration';
import { connectionBounds, dataSourceOptions, serviceSessionOptions } from './data-source-options';
import { TransactionRunner } from './transaction-runner';

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [DatabaseConfig],
      useFactory: (config: DatabaseConfig) => {
        const options = dataSourceOptions(config.url);
        const extra = { ...(options.extra as Record<string, unknown>), ...connectionBounds(config), ...serviceSessionOptions(config) };
        // Each feature module registers its own entities (TypeOrmModule.forFeature): this module imports none.
        return { ...options, autoLoadEntities: true, extra, retryAttempts: 3, retryDelay: 1000 };
      },
    }),
  ],
  providers: [TransactionRunner],
  exports: [TransactionRunner],
})
export class DatabaseModule {}
