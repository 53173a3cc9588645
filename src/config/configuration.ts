import { CronTime } from 'cron';
import { readDatabaseUrl } from './database-url';
import { Env, EnvReader } from './env-reader';
import { AuthConfig, readAuth } from './auth-config';
import { KafkaSecurity, readKafkaSecurity } from './kafka-security';
import { CompressionCodec } from '../kafka/compression-codec-names';
import { CONFIG_TABLE, DLT_COMPRESSION_CODECS, LOG_FORMATS, LOG_LEVELS, REMOVED_VARIABLES } from './config-table';
import { Fields } from './fields';

export { INVOICE_CREATED_TOPIC, LOG_LEVELS, ORDER_COMPLETED_TOPIC } from './config-table';
export { AUTH_ALGORITHMS, AuthConfig, ClaimMapping, IdentityProviderConfig, isAllowedProviderUrl, MIN_JWT_SECRET_LENGTH } from './auth-config';

export class DatabaseConfig {
  declare readonly url: string;
  /** The service's statements (not migrations) give up after this, so a stuck lock becomes a retried fault. */
  declare readonly statementTimeoutMs: number;
  declare readonly lockTimeoutMs: number;
  /** Client side: a statement unanswered this long means a silent connection, which is dropped (above statementTimeoutMs). */
  declare readonly queryTimeoutMs: number;
  declare readonly connectTimeoutMs: number;
  /** TCP keepalive probes start after this much silence on an idle connection. */
  declare readonly keepAliveInitialDelayMs: number;
  /** Server side: a session of the service idle inside a transaction this long is ended, its locks released. */
  declare readonly idleInTransactionTimeoutMs: number;
  /** A connection awaiting an answer this long is checked with the server (SilenceWatchdog); 0: never. */
  declare readonly silenceCheckAfterMs: number;

  constructor(fields: Fields<DatabaseConfig>) {
    Object.assign(this, fields);
  }
}

/**
 * What bounds the consumer's buffered data: one fetch of at most fetchMaxBytes (and fetchMaxBytesPerPartition per
 * partition) is decoded at a time, and at most maxConcurrentTransactions groups of maxEventsPerTransaction events
 * are being written. Memory beyond that is garbage V8 has not collected yet (bounded by Node's heap flags).
 */
export class ConsumerBufferConfig {
  declare readonly fetchMaxBytes: number;
  declare readonly fetchMaxBytesPerPartition: number;
  declare readonly maxEventsPerTransaction: number;
  declare readonly maxConcurrentTransactions: number;

  constructor(fields: Fields<ConsumerBufferConfig>) {
    Object.assign(this, fields);
  }
}

/**
 * What bounds every kafkajs client of the service (consumer, DLT producer, outbox producer, lag and topic admins).
 * A request unanswered within requestTimeoutMs drops the connection it was sent on (a silent broker connection is
 * never waited on) and is retried on a fresh one.
 */
/**
 * What bounds every kafkajs client of the service (consumer, DLT producer, outbox producer, lag and topic admins).
 * A request unanswered within requestTimeoutMs drops the connection it was sent on (a silent broker connection is
 * never waited on) and is retried on a fresh one.
 */
export class KafkaTimeoutConfig {
  /** TCP (and TLS) connect. */
  declare readonly connectionTimeoutMs: number;
  /** Any request; a fetch waits at least its long poll (maxWaitTime) plus 100 ms, a JoinGroup the rebalance. */
  declare readonly requestTimeoutMs: number;
  declare readonly heartbeatIntervalMs: number;
  /** How long the group waits for members to rejoin during a rebalance. */
  declare readonly rebalanceTimeoutMs: number;
  /** How long the broker waits for the in-sync replicas of an acks=all produce (the request's own `timeout`). */
  declare readonly produceAckTimeoutMs: number;

  constructor(fields: Fields<KafkaTimeoutConfig>) {
    Object.assign(this, fields);
  }
}

/**
 * A quarter of the request timeout below it: a broker whose replicas are slow answers with a retriable error while the
 * client still waits, instead of answering just after the client gave up and dropped every connection to a healthy leader.
 */
export function produceAckTimeoutFor(requestTimeoutMs: number): number {
  return requestTimeoutMs - Math.floor(requestTimeoutMs / 4);
}

export class KafkaConfig {
  declare readonly brokers: string[];
  declare readonly clientId: string;
  declare readonly groupId: string;
  declare readonly topic: string;
  declare readonly deadLetterTopic: string;
  declare readonly partitionsConsumedConcurrently: number;
  /** Handled offsets go to Kafka this often, not after every partition's batch. */
  declare readonly commitIntervalMs: number;
  /** Used only when the service creates a missing input topic. */
  declare readonly topicPartitions: number;
  /** How long a consumer that died silently keeps its partitions before the group moves them. */
  declare readonly sessionTimeoutMs: number;
  declare readonly security: KafkaSecurity;
  declare readonly buffers: ConsumerBufferConfig;
  declare readonly timeouts: KafkaTimeoutConfig;

  constructor(fields: Fields<KafkaConfig>) {
    Object.assign(this, fields);
  }
}

/** What the consumer does with a failed message: how it retries a fault, and how it dead-letters poison. */
export class ConsumerPolicyConfig {
  /** Backoff of the first retry of a transient fault; it doubles per try up to retryMaxMs. */
  declare readonly retryInitialMs: number;
  declare readonly retryMaxMs: number;
  /** A partition retrying one message for longer than this makes /health report the consumer as stuck. */
  declare readonly stuckAfterMs: number;
  /** A dead letter larger than this is truncated (and says so in a header) rather than refused by the broker. */
  declare readonly deadLetterMaxBytes: number;
  /** How the DLT producer compresses its record batches. */
  declare readonly deadLetterCompression: CompressionCodec;

  constructor(fields: Fields<ConsumerPolicyConfig>) {
    Object.assign(this, fields);
  }
}

/** The table may only offer codecs the Kafka adapter can write. */
DLT_COMPRESSION_CODECS satisfies readonly CompressionCodec[];

export class HttpConfig {
  declare readonly port: number;

  constructor(fields: Fields<HttpConfig>) {
    Object.assign(this, fields);
  }
}

export class RetentionConfig {
  declare readonly retentionDays: number;
  declare readonly cleanupCron: string;
  declare readonly cleanupBatchSize: number;

  constructor(fields: Fields<RetentionConfig>) {
    Object.assign(this, fields);
  }
}

/** The transactional outbox and its relay (src/outbox). */
export class OutboxConfig {
  declare readonly topic: string;
  /** false: rows are written but not published here (another deployment relays them). */
  declare readonly relayEnabled: boolean;
  declare readonly batchSize: number;
  /** A round's rows go out in sends of at most this many bytes: one record batch above the topic's limit is refused whole. */
  declare readonly sendMaxBytes: number;
  /** The fallback when a NOTIFY is missed (e.g. the listening connection was down). */
  declare readonly pollIntervalMs: number;
  /** Between a wake-up and the round: one round for the commits of this span, not one each. */
  declare readonly lingerMs: number;
  declare readonly retryInitialMs: number;
  declare readonly retryMaxMs: number;
  /** A relay whose oldest pending row is older than this, or that has failed for this long, is down in /health. */
  declare readonly unhealthyAfterMs: number;
  /** The longest a relay round holds the relay cursor (and its transaction open) waiting for the broker's acknowledgement. */
  declare readonly publishTimeoutMs: number;

  constructor(fields: Fields<OutboxConfig>) {
    Object.assign(this, fields);
  }
}

export class BillingConfig {
  declare readonly defaultCurrency: string;

  constructor(fields: Fields<BillingConfig>) {
    Object.assign(this, fields);
  }
}

export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = (typeof LOG_FORMATS)[number];

export class LoggingConfig {
  declare readonly level: LogLevel;
  /** json: one JSON object per line (production); pretty: human-readable (development). */
  declare readonly format: LogFormat;

  constructor(fields: Fields<LoggingConfig>) {
    Object.assign(this, fields);
  }
}

/**
 * OpenTelemetry tracing (src/tracing): on only when an OTLP endpoint is given; otherwise no SDK is loaded and
 * every span is the API's no-op.
 */
export class TracingConfig {
  /** Where spans are POSTed as OTLP/HTTP JSON; undefined: tracing is off. */
  declare readonly tracesUrl: string | undefined;
  declare readonly serviceName: string;
  /** How long finished spans wait to be exported together. */
  declare readonly exportDelayMs: number;

  constructor(fields: Omit<Fields<TracingConfig>, 'enabled'>) {
    Object.assign(this, fields);
  }

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
  const topic = env.string('KAFKA_TOPIC');
  // The broker refuses anything below its group.min.session.timeout.ms (6 s by default).
  const sessionTimeoutMs = env.integer('KAFKA_SESSION_TIMEOUT_MS');
  return new KafkaConfig({
    brokers: readBrokers(env),
    clientId: env.string('KAFKA_CLIENT_ID'),
    groupId: env.string('KAFKA_GROUP_ID'),
    topic,
    deadLetterTopic: env.string('KAFKA_DLT_TOPIC', `${topic}.dlt`),
    partitionsConsumedConcurrently: env.integer('KAFKA_PARTITIONS_CONCURRENCY'),
    commitIntervalMs: env.integer('KAFKA_COMMIT_INTERVAL_MS'),
    topicPartitions: env.integer('KAFKA_TOPIC_PARTITIONS'),
    sessionTimeoutMs,
    security: readKafkaSecurity(env),
    buffers: readConsumerBuffers(env),
    timeouts: readKafkaTimeouts(env, sessionTimeoutMs),
  });
}

export function readBrokers(env: EnvReader): string[] {
  const brokers = env
    .string('KAFKA_BROKERS')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  env.check('KAFKA_BROKERS', brokers.length > 0 && brokers.every((b) => /^[^\s:]+:\d{1,5}$/.test(b)), 'must be a comma-separated list of host:port');
  return brokers;
}

function readKafkaTimeouts(env: EnvReader, sessionTimeoutMs: number): KafkaTimeoutConfig {
  const heartbeatDefault = Math.min(CONFIG_TABLE.KAFKA_HEARTBEAT_INTERVAL_MS.default, Math.floor(sessionTimeoutMs / 3));
  const heartbeatIntervalMs = env.integer('KAFKA_HEARTBEAT_INTERVAL_MS', heartbeatDefault);
  // Kafka's own rule: a member heartbeats several times per session, or one late heartbeat costs it its partitions.
  env.check(
    'KAFKA_HEARTBEAT_INTERVAL_MS',
    heartbeatIntervalMs <= Math.floor(sessionTimeoutMs / 3),
    `must be at most a third of KAFKA_SESSION_TIMEOUT_MS (${sessionTimeoutMs})`,
  );
  const rebalanceTimeoutMs = env.integer('KAFKA_REBALANCE_TIMEOUT_MS', Math.max(CONFIG_TABLE.KAFKA_REBALANCE_TIMEOUT_MS.default, sessionTimeoutMs));
  env.check('KAFKA_REBALANCE_TIMEOUT_MS', rebalanceTimeoutMs >= sessionTimeoutMs, `must be at least KAFKA_SESSION_TIMEOUT_MS (${sessionTimeoutMs})`);
  const requestTimeoutMs = env.integer('KAFKA_REQUEST_TIMEOUT_MS');
  const produceAckTimeoutMs = produceAckTimeoutFor(requestTimeoutMs);
  env.check(
    'KAFKA_REQUEST_TIMEOUT_MS',
    produceAckTimeoutMs > 0 && produceAckTimeoutMs < requestTimeoutMs,
    `must leave a produce acknowledgement timeout above 0 and below itself (${produceAckTimeoutMs})`,
  );
  return new KafkaTimeoutConfig({
    connectionTimeoutMs: env.integer('KAFKA_CONNECTION_TIMEOUT_MS'),
    requestTimeoutMs,
    heartbeatIntervalMs,
    rebalanceTimeoutMs,
    produceAckTimeoutMs,
  });
}

function readConsumerBuffers(env: EnvReader): ConsumerBufferConfig {
  const fetchMaxBytes = env.integer('KAFKA_FETCH_MAX_BYTES');
  const fetchMaxBytesPerPartition = env.integer('KAFKA_FETCH_MAX_BYTES_PER_PARTITION');
  env.check('KAFKA_FETCH_MAX_BYTES_PER_PARTITION', fetchMaxBytesPerPartition <= fetchMaxBytes, `must be at most KAFKA_FETCH_MAX_BYTES (${fetchMaxBytes})`);
  return new ConsumerBufferConfig({
    fetchMaxBytes,
    fetchMaxBytesPerPartition,
    maxEventsPerTransaction: env.integer('KAFKA_BATCH_MAX_EVENTS'),
    maxConcurrentTransactions: env.integer('KAFKA_BATCH_MAX_TRANSACTIONS'),
  });
}

function readConsumerPolicy(env: EnvReader): ConsumerPolicyConfig {
  const retryInitialMs = env.integer('CONSUMER_RETRY_INITIAL_MS');
  const retryMaxMs = env.integer('CONSUMER_RETRY_MAX_MS');
  env.check('CONSUMER_RETRY_MAX_MS', retryMaxMs >= retryInitialMs, `must be at least CONSUMER_RETRY_INITIAL_MS (${retryInitialMs})`);
  return new ConsumerPolicyConfig({
    retryInitialMs,
    retryMaxMs,
    stuckAfterMs: env.integer('CONSUMER_STUCK_AFTER_MS'),
    deadLetterMaxBytes: env.integer('KAFKA_DLT_MAX_MESSAGE_BYTES'),
    deadLetterCompression: env.choice('KAFKA_DLT_COMPRESSION'),
  });
}

function readRetention(env: EnvReader): RetentionConfig {
  const retentionDays = env.integer('RETENTION_DAYS');
  const unsafeAllowed = env.boolean('RETENTION_ALLOW_UNSAFE');
  env.check(
    'RETENTION_DAYS',
    retentionDays >= MIN_SAFE_RETENTION_DAYS || unsafeAllowed,
    `must be at least ${MIN_SAFE_RETENTION_DAYS} (Kafka's default offset retention) unless RETENTION_ALLOW_UNSAFE=true, got ${retentionDays}`,
  );
  const cleanupCron = env.string('CLEANUP_CRON');
  env.check('CLEANUP_CRON', isCronExpression(cleanupCron), `must be a cron expression, got "${cleanupCron}"`);
  return new RetentionConfig({ retentionDays, cleanupCron, cleanupBatchSize: env.integer('CLEANUP_BATCH_SIZE') });
}

function readDatabase(env: EnvReader, url: string): DatabaseConfig {
  const statementTimeoutMs = env.integer('DATABASE_STATEMENT_TIMEOUT_MS');
  const queryTimeoutMs = env.integer('DATABASE_QUERY_TIMEOUT_MS', statementTimeoutMs + 5_000);
  env.check(
    'DATABASE_QUERY_TIMEOUT_MS',
    queryTimeoutMs > statementTimeoutMs,
    `must be above DATABASE_STATEMENT_TIMEOUT_MS (${statementTimeoutMs}), so PostgreSQL cancels a slow statement before the client gives up on the connection`,
  );
  return new DatabaseConfig({
    url,
    statementTimeoutMs,
    lockTimeoutMs: env.integer('DATABASE_LOCK_TIMEOUT_MS'),
    queryTimeoutMs,
    connectTimeoutMs: env.integer('DATABASE_CONNECT_TIMEOUT_MS'),
    keepAliveInitialDelayMs: env.integer('DATABASE_KEEPALIVE_INITIAL_DELAY_MS'),
    idleInTransactionTimeoutMs: env.integer('DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS'),
    silenceCheckAfterMs: env.integer('DATABASE_SILENCE_CHECK_AFTER_MS'),
  });
}

/** The table's database defaults, for connections made without the service's environment (migrations, CLIs). */
export function defaultDatabaseConfig(url: string): DatabaseConfig {
  return readDatabase(new EnvReader({}), url);
}

function readOutbox(env: EnvReader): OutboxConfig {
  const retryInitialMs = env.integer('OUTBOX_RETRY_INITIAL_MS');
  const retryMaxMs = env.integer('OUTBOX_RETRY_MAX_MS');
  env.check('OUTBOX_RETRY_MAX_MS', retryMaxMs >= retryInitialMs, `must be at least OUTBOX_RETRY_INITIAL_MS (${retryInitialMs})`);
  return new OutboxConfig({
    topic: env.string('OUTBOX_TOPIC'),
    relayEnabled: env.boolean('OUTBOX_RELAY_ENABLED'),
    batchSize: env.integer('OUTBOX_BATCH_SIZE'),
    sendMaxBytes: env.integer('OUTBOX_SEND_MAX_BYTES'),
    pollIntervalMs: env.integer('OUTBOX_POLL_INTERVAL_MS'),
    lingerMs: env.integer('OUTBOX_LINGER_MS'),
    retryInitialMs,
    retryMaxMs,
    unhealthyAfterMs: env.integer('OUTBOX_UNHEALTHY_AFTER_MS'),
    publishTimeoutMs: env.integer('OUTBOX_PUBLISH_TIMEOUT_MS'),
  });
}

function readLogging(env: EnvReader): LoggingConfig {
  const production = env.optionalString('NODE_ENV') === 'production';
  return new LoggingConfig({ format: env.choice('LOG_FORMAT', production ? 'json' : 'pretty'), level: env.choice('LOG_LEVEL') });
}

/** The OTLP variables' standard meanings: the generic endpoint gets /v1/traces appended, the traces one is used as is. */
function readTracing(env: EnvReader): TracingConfig {
  const tracesEndpoint = env.optionalString('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const endpoint = env.optionalString('OTEL_EXPORTER_OTLP_ENDPOINT');
  const name = tracesEndpoint ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  const url = tracesEndpoint ?? (endpoint && `${endpoint.replace(/\/+$/, '')}/v1/traces`);
  env.check(name, url === undefined || isHttpUrl(url), 'must be an http:// or https:// URL');
  return new TracingConfig({
    tracesUrl: url || undefined,
    serviceName: env.string('OTEL_SERVICE_NAME'),
    exportDelayMs: env.integer('OTEL_BSP_SCHEDULE_DELAY'),
  });
}

function isHttpUrl(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

export function readBilling(env: EnvReader): BillingConfig {
  const defaultCurrency = env.string('BILLING_DEFAULT_CURRENCY');
  env.check('BILLING_DEFAULT_CURRENCY', isIsoCurrency(defaultCurrency), `must be an ISO 4217 code such as USD, got "${defaultCurrency}"`);
  return new BillingConfig({ defaultCurrency });
}

export function loadConfig(rawEnv: Env): AppConfig {
  const env = new EnvReader(rawEnv);
  env.refuseRemoved(REMOVED_VARIABLES);
  const databaseUrl = readDatabaseUrl(env);
  const auth = readAuth(env);
  const billing = readBilling(env);
  const config: AppConfig = {
    database: readDatabase(env, databaseUrl),
    kafka: readKafka(env),
    consumerPolicy: readConsumerPolicy(env),
    http: new HttpConfig({ port: env.integer('PORT') }),
    auth,
    retention: readRetention(env),
    billing,
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
