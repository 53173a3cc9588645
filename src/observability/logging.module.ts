import { randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Global, Inject, Injectable, Module } from '@nestjs/common';
import { LoggerModule, Params } from 'nestjs-pino';
import { Logger } from 'pino';
import { KafkaConfig, LoggingConfig } from '../config/configuration';
import { KafkaLogCreator, kafkaLogCreator } from '../kafka/kafka-log-creator';
import { BrokerConnectivity, quietBrokerClearsAfterMs } from './broker-connectivity';
import { createRootLogger, ROOT_LOGGER } from './root-logger';

/** Probes and scrapes arrive every few seconds; a line each would drown the lines that matter. */
const QUIET_PATHS = /^\/(health|metrics)(\/|\?|$)/;

/** Every kafkajs client of the service (consumer, DLT producer, outbox producer, admins) logs and reports silent connections through this. */
@Injectable()
export class KafkaLogging {
  readonly logCreator: KafkaLogCreator;
  readonly connectivity: BrokerConnectivity;

  constructor(@Inject(ROOT_LOGGER) root: Logger, kafka: KafkaConfig) {
    this.logCreator = kafkaLogCreator(root);
    this.connectivity = new BrokerConnectivity(root.child({ context: 'KafkaConnections' }), quietBrokerClearsAfterMs(kafka.timeouts.requestTimeoutMs));
  }
}

export function httpLoggingParams(root: Logger): Params {
  return {
    pinoHttp: {
      logger: root,
      quietReqLogger: true,
      autoLogging: { ignore: (req: IncomingMessage) => QUIET_PATHS.test(req.url ?? '') },
      genReqId: (req: IncomingMessage, res: ServerResponse) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      // Method, path and status are enough; headers (and with them tokens) never reach a line.
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    },
  };
}

@Global()
@Module({
  providers: [{ provide: ROOT_LOGGER, inject: [LoggingConfig], useFactory: (config: LoggingConfig) => createRootLogger(config) }, KafkaLogging],
  exports: [ROOT_LOGGER, KafkaLogging],
})
class RootLoggerModule {}

@Module({
  imports: [RootLoggerModule, LoggerModule.forRootAsync({ imports: [RootLoggerModule], inject: [ROOT_LOGGER], useFactory: httpLoggingParams })],
  exports: [RootLoggerModule, LoggerModule],
})
export class LoggingModule {}
