import { Controller, Get, HttpStatus, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../auth/auth.decorators';
import { ConsumerHealth } from './consumer-health';

interface StatusSettable {
  status(code: number): unknown;
}

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
  @ApiServiceUnavailableResponse({ description: 'The database or the Kafka consumer is down; the body says which' })
  async check(@Res({ passthrough: true }) response: StatusSettable): Promise<HealthCheckResult> {
    try {
      return await this.health.check([() => this.database.pingCheck('database', { timeout: 1500 }), () => this.kafkaConsumer()]);
    } catch (error) {
      // Keep Terminus' own body (which check is down), not the generic API error shape.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      response.status(HttpStatus.SERVICE_UNAVAILABLE);
      return error.getResponse() as HealthCheckResult;
    }
  }

  private kafkaConsumer() {
    const indicator = this.indicators.check('kafka_consumer');
    const state = this.consumer.current();
    return this.consumer.isUp() ? indicator.up({ state }) : indicator.down({ state });
  }
}
