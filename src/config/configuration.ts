import { CronTime } from 'cron';
import { readDatabaseUrl } from './database-url';
import { Env, EnvReader } from './env-reader';
import { AuthConfig, readAuth } from './auth-config';
import { KafkaSecurity, readKafkaSecurity } from './kafka-security';
import { COMPRESSION_CODECS, CompressionCodec } from '../kafka/compression-codec-names';

export { AUTH_ALGORITHMS, AuthConfig, ClaimMapping, IdentityProviderConfig, isAllowedProviderUrl, MIN_JWT_SECRET_LENGTH } from './auth-config';

export class DatabaseConfig {
  constructor(
    readonly url: string,
    /** The service's statements (not migrations) give up after this, so a stuck lock becomes a retried fault. */
    readonly statementTimeoutMs = 30_000,
    readonly lockTimeoutMs = 10_000,
    /** Client side: a statement unanswered this long means a silent connection, which is dropped (above statementTimeoutMs). */
    readonly queryTimeoutMs = statementTimeoutMs + 5_000,
    readonly connectTimeoutMs = 10_000,
    /** TCP keepalive probes start after this much silence on an idle connection. */
    readonly keepAliveInitialDelayMs = 10_000,
    /** Server side: a session of the service idle inside a transaction this long is ended, its locks released. */
    readonly idleInTransactionTimeoutMs = 60_000,
    /** A connection awaiting an answer this long is checked with the server (SilenceWatchdog); 0: never. */
    readonly silenceCheckAfterMs = 5_000,
  ) {}
}

/**
 * What bounds the consumer's buffered data: one fetch of at most fetchMaxBytes (and fetchMaxBytesPerPartition per
 * partition) is decoded at a time, and at most maxConcurrentTransactions groups of maxEventsPerTransaction events
 * are being written. Memory beyond that is garbage V8 has not collected yet (bounded by Node's heap flags).
 */
export class ConsumerBufferConfig {
  constructor(
    readonly fetchMaxBytes = 2 * 1024 * 1024,
    readonly fetchMaxBytesPerPartition = 256 * 1024,
    readonly maxEventsPerTransaction = 2_000,
    readonly maxConcurrentTransactions = 2,
  ) {}
}

/**
 * What bounds every kafkajs client of the service (consumer, DLT producer, outbox producer, lag and topic admins).
 * A request unanswered within requestTimeoutMs drops the connection it was sent on (a silent broker connection is
 * never waited on) and is retried on a fresh one.
 */
export class KafkaTimeoutConfig {
  constructor(
    /** TCP (and TLS) connect. */
    readonly connectionTimeoutMs = 3_000,
    /** Any request; a fetch waits at least its long poll (maxWaitTime) plus 100 ms, a JoinGroup the rebalance. */
    readonly requestTimeoutMs = 10_000,
    readonly heartbeatIntervalMs = 3_000,
    /** How long the group waits for members to rejoin during a rebalance. */
    readonly rebalanceTimeoutMs = 60_000,
    /** How long the broker waits for the in-sync replicas of an acks=all produce (the request's own `timeout`). */
    readonly produceAckTimeoutMs = produceAckTimeoutFor(requestTimeoutMs),
  ) {}
}

/**
 * A quarter of the request timeout below it: a broker whose replicas are slow answers with a retriable error while the
 * client still waits, instead of answering just after the client gave up and dropped every connection to a healthy leader.
 */
export function produceAckTimeoutFor(requestTimeoutMs: number): number {
  return requestTimeoutMs - Math.floor(requestTimeoutMs / 4);
}

export class KafkaConfig {
  constructor(
    readonly brokers: string[],
    readonly clientId: string,
    readonly groupId: string,
    readonly topic: string,
    readonly deadLetterTopic: string,
    readonly partitionsConsumedConcurrently: number,
    /** Used only when the service creates a missing input topic. */
    readonly topicPartitions: number,
    /** batch: one claim statement and one transaction per fetched batch; message: one per message. */
    readonly consumeMode: ConsumeMode = 'batch',
    /** How long a consumer that died silently keeps its partitions before the group moves them. */
    readonly sessionTimeoutMs = 30_000,
    readonly security = new KafkaSecurity(),
    readonly buffers = new ConsumerBufferConfig(),
    readonly timeouts = new KafkaTimeoutConfig(),
  ) {}
}

/** What the consumer does with a failed message: how it retries a fault, and how it dead-letters poison. */
export class ConsumerPolicyConfig {
  constructor(
    /** Backoff of the first retry of a transient fault; it doubles per try up to retryMaxMs. */
    readonly retryInitialMs: number,
    readonly retryMaxMs: number,
    /** A partition retrying one message for longer than this makes /health report the consumer as stuck. */
    readonly stuckAfterMs: number,
    /** A dead letter larger than this is truncated (and says so in a header) rather than refused by the broker. */
    readonly deadLetterMaxBytes: number,
    /** How the DLT producer compresses its record batches. */
    readonly deadLetterCompression: CompressionCodec = 'none',
  ) {}
}

export const CONSUME_MODES = ['batch', 'message'] as const;
export type ConsumeMode = (typeof CONSUME_MODES)[number];

export class HttpConfig {
  constructor(readonly port: number) {}
}

export class RetentionConfig {
  constructor(
    readonly retentionDays: number,
    readonly cleanupCron: string,
    readonly cleanupBatchSize: number,
  ) {}
}

/** The transactional outbox and its relay (src/outbox). */
export class OutboxConfig {
  constructor(
    readonly topic: string,
    /** false: rows are written but not published here (another deployment relays them). */
    readonly relayEnabled: boolean,
    /** Rows of one order_id always fall in the same shard; one replica at a time relays a shard, so each order stays in order. */
    readonly shards: number,
    readonly batchSize: number,
    /** The fallback when a NOTIFY is missed (e.g. the listening connection was down). */
    readonly pollIntervalMs: number,
    readonly retryInitialMs: number,
    readonly retryMaxMs: number,
    /** A relay whose oldest pending row is older than this, or that has failed for this long, is down in /health. */
    readonly unhealthyAfterMs: number,
    /** The longest a relay round holds its shards' locks (and its transaction open) waiting for the broker's acknowledgement. */
    readonly publishTimeoutMs = 15_000,
  ) {}
}

export class BillingConfig {
  constructor(readonly defaultCurrency: string) {}
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = 'json' | 'pretty';

export class LoggingConfig {
  constructor(
    readonly level: LogLevel,
    /** json: one JSON object per line (production); pretty: human-readable (development). */
    readonly format: LogFormat,
  ) {}
}

/**
 * OpenTelemetry tracing (src/tracing): on only when an OTLP endpoint is given; otherwise no SDK is loaded and
 * every span is the API's no-op.
 */
export class TracingConfig {
  constructor(
    /** Where spans are POSTed as OTLP/HTTP JSON; undefined: tracing is off. */
    readonly tracesUrl: string | undefined,
    readonly serviceName = 'billing-service',
    /** How long finished spans wait to be exported together. */
    readonly exportDelayMs = 5_000,
  ) {}

  get enabled(): boolean {
    return this.tracesUrl !== undefined;
  }
}

export interface AppConfig {
  database: DatabaseConfig;
  kafka: KafkaConfig;
  consumerPolicy: ConsumerPolicyConfig;
  http: HttpConfig;
  auth: AuthConfig;
  retention: RetentionConfig;
  billing: BillingConfig;
  outbox: OutboxConfig;
  logging: LoggingConfig;
  tracing: TracingConfig;
}

export const ORDER_COMPLETED_TOPIC = 'order.completed';
export const INVOICE_CREATED_TOPIC = 'invoice.created';
/** Kafka's default offsets.retention.minutes: a group can replay at least this far back. */
export const MIN_SAFE_RETENTION_DAYS = 7;

/** Built once: Intl.supportedValuesOf allocates a fresh list per call, and every event's currency is checked. */
const ISO_CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

export function isIsoCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && ISO_CURRENCIES.has(code);
}

function isCronExpression(expression: string): boolean {
  try {
    new CronTime(expression);
    return true;
  } catch {
    return false;
  }
}

function readKafka(env: EnvReader): KafkaConfig {
  const brokers = env
    .string('KAFKA_BROKERS', '127.0.0.1:9092')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  env.check('KAFKA_BROKERS', brokers.length > 0 && brokers.every((b) => /^[^\s:]+:\d{1,5}$/.test(b)), 'must be a comma-separated list of host:port');
  const topic = env.string('KAFKA_TOPIC', ORDER_COMPLETED_TOPIC);
  // The broker refuses anything below its group.min.session.timeout.ms (6 s by default).
  const sessionTimeoutMs = env.integer('KAFKA_SESSION_TIMEOUT_MS', 30_000, { min: 6_000, max: 300_000 });
  return new KafkaConfig(
    brokers,
    env.string('KAFKA_CLIENT_ID', 'billing-service'),
    env.string('KAFKA_GROUP_ID', 'billing-service'),
    topic,
    env.string('KAFKA_DLT_TOPIC', `${topic}.dlt`),
    env.integer('KAFKA_PARTITIONS_CONCURRENCY', 12, { min: 1, max: 256 }),
    env.integer('KAFKA_TOPIC_PARTITIONS', 12, { min: 1, max: 1000 }),
    readConsumeMode(env),
    sessionTimeoutMs,
    readKafkaSecurity(env),
    readConsumerBuffers(env),
    readKafkaTimeouts(env, sessionTimeoutMs),
  );
}

function readKafkaTimeouts(env: EnvReader, sessionTimeoutMs: number): KafkaTimeoutConfig {
  const heartbeatIntervalMs = env.integer('KAFKA_HEARTBEAT_INTERVAL_MS', Math.min(3_000, Math.floor(sessionTimeoutMs / 3)), { min: 100, max: 100_000 });
  // Kafka's own rule: a member heartbeats several times per session, or one late heartbeat costs it its partitions.
  env.check(
    'KAFKA_HEARTBEAT_INTERVAL_MS',
    heartbeatIntervalMs <= Math.floor(sessionTimeoutMs / 3),
    `must be at most a third of KAFKA_SESSION_TIMEOUT_MS (${sessionTimeoutMs})`,
  );
  const rebalanceTimeoutMs = env.integer('KAFKA_REBALANCE_TIMEOUT_MS', Math.max(60_000, sessionTimeoutMs), { min: 6_000, max: 600_000 });
  env.check('KAFKA_REBALANCE_TIMEOUT_MS', rebalanceTimeoutMs >= sessionTimeoutMs, `must be at least KAFKA_SESSION_TIMEOUT_MS (${sessionTimeoutMs})`);
  const requestTimeoutMs = env.integer('KAFKA_REQUEST_TIMEOUT_MS', 10_000, { min: 1_000, max: 300_000 });
  const produceAckTimeoutMs = produceAckTimeoutFor(requestTimeoutMs);
  env.check(
    'KAFKA_REQUEST_TIMEOUT_MS',
    produceAckTimeoutMs > 0 && produceAckTimeoutMs < requestTimeoutMs,
    `must leave a produce acknowledgement timeout above 0 and below itself (${produceAckTimeoutMs})`,
  );
  return new KafkaTimeoutConfig(
    env.integer('KAFKA_CONNECTION_TIMEOUT_MS', 3_000, { min: 100, max: 60_000 }),
    requestTimeoutMs,
    heartbeatIntervalMs,
    rebalanceTimeoutMs,
    produceAckTimeoutMs,
  );
}

function readConsumerBuffers(env: EnvReader): ConsumerBufferConfig {
  const fetchMaxBytes = env.integer('KAFKA_FETCH_MAX_BYTES', 2 * 1024 * 1024, { min: 64 * 1024, max: 256 * 1024 * 1024 });
  const perPartition = env.integer('KAFKA_FETCH_MAX_BYTES_PER_PARTITION', 256 * 1024, { min: 16 * 1024, max: 64 * 1024 * 1024 });
  env.check('KAFKA_FETCH_MAX_BYTES_PER_PARTITION', perPartition <= fetchMaxBytes, `must be at most KAFKA_FETCH_MAX_BYTES (${fetchMaxBytes})`);
  return new ConsumerBufferConfig(
    fetchMaxBytes,
    perPartition,
    env.integer('KAFKA_BATCH_MAX_EVENTS', 2_000, { min: 1, max: 50_000 }),
    env.integer('KAFKA_BATCH_MAX_TRANSACTIONS', 2, { min: 1, max: 16 }),
  );
}

function readConsumerPolicy(env: EnvReader): ConsumerPolicyConfig {
  const retryInitialMs = env.integer('CONSUMER_RETRY_INITIAL_MS', 200, { min: 1, max: 60_000 });
  const retryMaxMs = env.integer('CONSUMER_RETRY_MAX_MS', 30_000, { min: 1, max: 600_000 });
  env.check('CONSUMER_RETRY_MAX_MS', retryMaxMs >= retryInitialMs, `must be at least CONSUMER_RETRY_INITIAL_MS (${retryInitialMs})`);
  return new ConsumerPolicyConfig(
    retryInitialMs,
    retryMaxMs,
    env.integer('CONSUMER_STUCK_AFTER_MS', 60_000, { min: 1, max: 86_400_000 }),
    // The broker's default message.max.bytes is 1,048,588; leave room for the record batch around it.
    env.integer('KAFKA_DLT_MAX_MESSAGE_BYTES', 1_000_000, { min: 1_024, max: 100_000_000 }),
    readDeadLetterCompression(env),
  );
}

function readDeadLetterCompression(env: EnvReader): CompressionCodec {
  const codec = env.string('KAFKA_DLT_COMPRESSION', 'none');
  env.check(
    'KAFKA_DLT_COMPRESSION',
    (COMPRESSION_CODECS as readonly string[]).includes(codec),
    `must be one of ${COMPRESSION_CODECS.join(', ')}, got "${codec}"`,
  );
  return codec as CompressionCodec;
}

function readConsumeMode(env: EnvReader): ConsumeMode {
  const mode = env.string('KAFKA_CONSUME_MODE', 'batch');
  env.check('KAFKA_CONSUME_MODE', (CONSUME_MODES as readonly string[]).includes(mode), `must be one of ${CONSUME_MODES.join(', ')}, got "${mode}"`);
  return mode as ConsumeMode;
}

function readRetention(env: EnvReader): RetentionConfig {
  const retentionDays = env.integer('RETENTION_DAYS', 30, { min: 1, max: 3650 });
  const unsafeAllowed = env.boolean('RETENTION_ALLOW_UNSAFE', false);
  env.check(
    'RETENTION_DAYS',
    retentionDays >= MIN_SAFE_RETENTION_DAYS || unsafeAllowed,
    `must be at least ${MIN_SAFE_RETENTION_DAYS} (Kafka's default offset retention) unless RETENTION_ALLOW_UNSAFE=true, got ${retentionDays}`,
  );
  const cleanupCron = env.string('CLEANUP_CRON', '0 3 * * *');
  env.check('CLEANUP_CRON', isCronExpression(cleanupCron), `must be a cron expression, got "${cleanupCron}"`);
  return new RetentionConfig(retentionDays, cleanupCron, env.integer('CLEANUP_BATCH_SIZE', 5000, { min: 1, max: 100000 }));
}

function readDatabase(env: EnvReader, url: string): DatabaseConfig {
  const statementTimeoutMs = env.integer('DATABASE_STATEMENT_TIMEOUT_MS', 30_000, { min: 100, max: 3_600_000 });
  const queryTimeoutMs = env.integer('DATABASE_QUERY_TIMEOUT_MS', statementTimeoutMs + 5_000, { min: 200, max: 3_700_000 });
  env.check(
    'DATABASE_QUERY_TIMEOUT_MS',
    queryTimeoutMs > statementTimeoutMs,
    `must be above DATABASE_STATEMENT_TIMEOUT_MS (${statementTimeoutMs}), so PostgreSQL cancels a slow statement before the client gives up on the connection`,
  );
  return new DatabaseConfig(
    url,
    statementTimeoutMs,
    env.integer('DATABASE_LOCK_TIMEOUT_MS', 10_000, { min: 100, max: 3_600_000 }),
    queryTimeoutMs,
    env.integer('DATABASE_CONNECT_TIMEOUT_MS', 10_000, { min: 100, max: 600_000 }),
    env.integer('DATABASE_KEEPALIVE_INITIAL_DELAY_MS', 10_000, { min: 1_000, max: 3_600_000 }),
    env.integer('DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS', 60_000, { min: 1_000, max: 3_600_000 }),
    env.integer('DATABASE_SILENCE_CHECK_AFTER_MS', 5_000, { min: 0, max: 3_600_000 }),
  );
}

function readOutbox(env: EnvReader): OutboxConfig {
  const retryInitialMs = env.integer('OUTBOX_RETRY_INITIAL_MS', 200, { min: 1, max: 60_000 });
  const retryMaxMs = env.integer('OUTBOX_RETRY_MAX_MS', 30_000, { min: 1, max: 600_000 });
  env.check('OUTBOX_RETRY_MAX_MS', retryMaxMs >= retryInitialMs, `must be at least OUTBOX_RETRY_INITIAL_MS (${retryInitialMs})`);
  return new OutboxConfig(
    env.string('OUTBOX_TOPIC', INVOICE_CREATED_TOPIC),
    env.boolean('OUTBOX_RELAY_ENABLED', true),
    env.integer('OUTBOX_RELAY_SHARDS', 16, { min: 1, max: 1024 }),
    env.integer('OUTBOX_BATCH_SIZE', 500, { min: 1, max: 10_000 }),
    env.integer('OUTBOX_POLL_INTERVAL_MS', 1_000, { min: 10, max: 600_000 }),
    retryInitialMs,
    retryMaxMs,
    env.integer('OUTBOX_UNHEALTHY_AFTER_MS', 120_000, { min: 1_000, max: 86_400_000 }),
    env.integer('OUTBOX_PUBLISH_TIMEOUT_MS', 15_000, { min: 100, max: 600_000 }),
  );
}

function readLogging(env: EnvReader): LoggingConfig {
  const production = env.optionalString('NODE_ENV') === 'production';
  const format = env.string('LOG_FORMAT', production ? 'json' : 'pretty').toLowerCase();
  env.check('LOG_FORMAT', format === 'json' || format === 'pretty', `must be json or pretty, got "${format}"`);
  const level = env.string('LOG_LEVEL', 'info').toLowerCase();
  env.check('LOG_LEVEL', (LOG_LEVELS as readonly string[]).includes(level), `must be one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
  return new LoggingConfig(level as LogLevel, format as LogFormat);
}

/** The OTLP variables' standard meanings: the generic endpoint gets /v1/traces appended, the traces one is used as is. */
function readTracing(env: EnvReader): TracingConfig {
  const tracesEndpoint = env.optionalString('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const endpoint = env.optionalString('OTEL_EXPORTER_OTLP_ENDPOINT');
  const name = tracesEndpoint ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  const url = tracesEndpoint ?? (endpoint && `${endpoint.replace(/\/+$/, '')}/v1/traces`);
  env.check(name, url === undefined || isHttpUrl(url), 'must be an http:// or https:// URL');
  return new TracingConfig(
    url || undefined,
    env.string('OTEL_SERVICE_NAME', 'billing-service'),
    env.integer('OTEL_BSP_SCHEDULE_DELAY', 5_000, { min: 10, max: 600_000 }),
  );
}

function isHttpUrl(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

export function loadConfig(rawEnv: Env): AppConfig {
  const env = new EnvReader(rawEnv);
  const databaseUrl = readDatabaseUrl(env);
  const auth = readAuth(env);
  const defaultCurrency = env.string('BILLING_DEFAULT_CURRENCY', 'USD');
  env.check('BILLING_DEFAULT_CURRENCY', isIsoCurrency(defaultCurrency), `must be an ISO 4217 code such as USD, got "${defaultCurrency}"`);
  const config: AppConfig = {
    database: readDatabase(env, databaseUrl),
    kafka: readKafka(env),
    consumerPolicy: readConsumerPolicy(env),
    http: new HttpConfig(env.integer('PORT', 3000, { min: 1, max: 65535 })),
    auth,
    retention: readRetention(env),
    billing: new BillingConfig(defaultCurrency),
    outbox: readOutbox(env),
    logging: readLogging(env),
    tracing: readTracing(env),
  };
  // The relay's transaction is idle while it waits for the broker: PostgreSQL must not end it first.
  env.check(
    'DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS',
    config.database.idleInTransactionTimeoutMs > config.outbox.publishTimeoutMs,
    `must be above OUTBOX_PUBLISH_TIMEOUT_MS (${config.outbox.publishTimeoutMs})`,
  );
  env.assertValid();
  return config;
}
