import { Kafka, KafkaConfig, logLevel, Partitioners, RetryOptions } from 'kafkajs';
import { BoundedKafka, BrokerSilenceListener } from './bounded-kafka';
import { GroupConsumer, GroupConsumerOptions } from './group-consumer';
import { readGroupToEnds, GroupRead, MessageHandler, Positions } from './group-reader';
import { KafkaAdmin } from './kafka-admin';
import { KafkaConnection, kafkaClientOptions } from './kafka-client-options';
import { KafkaLogCreator } from './kafka-log-creator';
import { KafkajsProducer, KafkaProducer } from './kafka-producer';
import { OffsetSpan, readSpans, SpanBatchHandler } from './span-reader';

export type KafkaLogLevel = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

const LOG_LEVELS: Record<KafkaLogLevel, logLevel> = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

export interface KafkaClientSettings {
  clientId: string;
  logLevel?: KafkaLogLevel;
  /** The service's clients log through the service logger (kafkaLogCreator). */
  logCreator?: KafkaLogCreator;
  /** Retries of a failed request before the call fails. */
  retries?: number;
  /** The wait before the first retry, and the most a wait grows to (kafkajs' defaults when not given). */
  initialRetryTimeMs?: number;
  maxRetryTimeMs?: number;
  connectionTimeoutMs?: number;
  /** Given, the client drops a silent broker's connections and reports it here (BoundedKafka). */
  silence?: BrokerSilenceListener;
}

/** One Kafka client: admins, producers and the reads the service and its CLIs make. */
export class KafkaClient {
  private readonly kafka: Kafka;

  constructor(connection: KafkaConnection, settings: KafkaClientSettings) {
    const config = clientConfig(connection, settings);
    this.kafka = settings.silence ? new BoundedKafka(config, settings.silence) : new Kafka(config);
  }

  admin(): KafkaAdmin {
    return new KafkaAdmin(this.kafka.admin());
  }

  /** Idempotent, one request in flight (each key's order kept), the Java client's partitioning. */
  producer(): KafkaProducer {
    return new KafkajsProducer(this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner }));
  }

  /** A consumer group member of this client (so on a BoundedKafka when `silence` was given); a restarted consumer is a new one. */
  groupConsumer(options: Omit<GroupConsumerOptions, 'kafka'>): GroupConsumer {
    return new GroupConsumer({ ...options, kafka: this.kafka });
  }

  readSpans<S extends OffsetSpan>(spans: readonly S[], onBatch: SpanBatchHandler<S>, idleTimeoutMs: number, admin: KafkaAdmin): Promise<void> {
    return readSpans(this.kafka, admin, spans, onBatch, idleTimeoutMs);
  }

  readGroupToEnds(read: GroupRead, positions: Positions, onMessage: MessageHandler): Promise<void> {
    return readGroupToEnds(this.kafka, read, positions, onMessage);
  }
}

function clientConfig(connection: KafkaConnection, settings: KafkaClientSettings): KafkaConfig {
  const { clientId, logLevel: level, logCreator, connectionTimeoutMs } = settings;
  const retry = retryOf(settings);
  return {
    clientId,
    ...kafkaClientOptions(connection),
    ...(connectionTimeoutMs !== undefined && { connectionTimeout: connectionTimeoutMs }),
    ...(retry && { retry }),
    ...(level !== undefined && { logLevel: LOG_LEVELS[level] }),
    ...(logCreator !== undefined && { logCreator }),
  };
}

function retryOf({ retries, initialRetryTimeMs, maxRetryTimeMs }: KafkaClientSettings): RetryOptions | undefined {
  if (retries === undefined && initialRetryTimeMs === undefined && maxRetryTimeMs === undefined) return undefined;
  return {
    ...(initialRetryTimeMs !== undefined && { initialRetryTime: initialRetryTimeMs }),
    ...(retries !== undefined && { retries }),
    ...(maxRetryTimeMs !== undefined && { maxRetryTime: maxRetryTimeMs }),
  };
}
