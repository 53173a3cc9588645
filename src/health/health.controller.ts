import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../auth/auth.decorators';
import { ConsumerHealth } from './consumer-health';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly consumer: ConsumerHealth,
  ) {}

  /** 200 only when the database answers SELECT 1 and the Kafka consumer is connected; 503 otherwise. */
  @Get()
  @Public()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.database.pingCheck('database', { timeout: 1500 }), () => this.kafkaConsumer()]);
  }

  private kafkaConsumer() {
    const indicator = this.indicators.check('kafka_consumer');
    const state = this.consumer.current();
    return this.consumer.isUp() ? indicator.up({ state }) : indicator.down({ state });
  }
}
