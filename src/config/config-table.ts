/*
 * Every environment variable the service and its CLIs read, declared once: the loader (env-reader.ts) takes each
 * variable's type, default and range from here, and `npm run config:docs` writes docs/configuration.md from it.
 * Node 24 runs this file as it is (scripts/config-docs.mjs, infra/), so it imports nothing.
 */

interface Common {
  description: string;
  /** Never printed; may instead be given as <NAME>_FILE, a path to a file holding it. */
  secret?: true;
  /** The default as the docs state it, when it depends on other variables or on the mode. */
  defaultText?: string;
  /** What a string must look like, as the docs state it (the loader checks it). */
  format?: string;
}
export interface IntVariable extends Common {
  type: 'int';
  default?: number;
  min: number;
  max: number;
}
export interface StringVariable extends Common {
  type: 'string';
  default?: string;
}
export interface UrlVariable extends Common {
  type: 'url';
  default?: string;
}
/** A path to a PEM file. */
export interface PemFileVariable extends Common {
  type: 'pem-file';
}
export interface EnumVariable extends Common {
  type: 'enum';
  values: readonly string[];
  default?: string;
  /** `LOG_LEVEL=DEBUG` reads as `debug`. */
  caseInsensitive?: true;
}
export interface BoolVariable extends Common {
  type: 'bool';
  default: boolean;
}
/** Read by a library itself (the OTLP exporter); listed so the docs hold every variable. */
export interface ExternalVariable extends Common {
  type: 'external';
  defaultText: string;
}
export type Variable = IntVariable | StringVariable | UrlVariable | PemFileVariable | EnumVariable | BoolVariable | ExternalVariable;

export const ORDER_COMPLETED_TOPIC = 'order.completed';
export const INVOICE_CREATED_TOPIC = 'invoice.created';
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LOG_FORMATS = ['json', 'pretty'] as const;
export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export const DLT_COMPRESSION_CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

/** Variables the service read once and no longer does: a deployment that still sets one is refused, with what to do instead. */
export const REMOVED_VARIABLES: Readonly<Record<string, string>> = {
  KAFKA_CONSUME_MODE: 'was removed: every consumer takes batches; for a transaction per message set KAFKA_BATCH_MAX_EVENTS=1',
  OUTBOX_RELAY_SHARDS: 'was removed: one replica at a time relays, following a commit-safe cursor; unset it',
};

export const CONFIG_TABLE = {
  DATABASE_URL: {
    type: 'url',
    default: 'postgres://postgres@127.0.0.1:5432/billing',
    secret: true,
    format: 'postgres:// URL',
    description: 'honours `sslmode`, `sslrootcert`, `sslcert`, `sslkey` (see Security)',
  },
  KAFKA_BROKERS: { type: 'string', default: '127.0.0.1:9092', format: 'comma-separated `host:port`', description: 'the brokers of every client' },
  KAFKA_CLIENT_ID: { type: 'string', default: 'billing-service', description: 'the Kafka client id (`-outbox`, `-dlt`, `-lag` appended per client)' },
  KAFKA_GROUP_ID: { type: 'string', default: 'billing-service', description: 'the consumer group; used as given' },
  KAFKA_TOPIC: { type: 'string', default: ORDER_COMPLETED_TOPIC, description: 'the input topic' },
  KAFKA_DLT_TOPIC: { type: 'string', defaultText: '`<KAFKA_TOPIC>.dlt`', description: 'the dead-letter topic' },
  KAFKA_PARTITIONS_CONCURRENCY: { type: 'int', default: 12, min: 1, max: 256, description: 'partitions the consumer processes at once' },
  KAFKA_TOPIC_PARTITIONS: { type: 'int', default: 12, min: 1, max: 1000, description: 'partitions of a missing topic the service creates' },
  KAFKA_SESSION_TIMEOUT_MS: {
    type: 'int',
    default: 30_000,
    min: 6_000,
    max: 300_000,
    description: 'how long a consumer that died without leaving keeps its partitions (the broker refuses less than its `group.min.session.timeout.ms`)',
  },
  KAFKA_HEARTBEAT_INTERVAL_MS: {
    type: 'int',
    default: 3_000,
    min: 100,
    max: 100_000,
    defaultText: '`3000` (at most a third of the session)',
    description: 'how often the consumer heartbeats; at most `KAFKA_SESSION_TIMEOUT_MS` / 3',
  },
  KAFKA_REBALANCE_TIMEOUT_MS: {
    type: 'int',
    default: 60_000,
    min: 6_000,
    max: 600_000,
    defaultText: '`60000` (or the session timeout, if larger)',
    description: 'how long a rebalance waits for members to rejoin; at least `KAFKA_SESSION_TIMEOUT_MS`',
  },
  KAFKA_CONNECTION_TIMEOUT_MS: { type: 'int', default: 3_000, min: 100, max: 60_000, description: 'TCP and TLS connect to a broker, every client' },
  KAFKA_REQUEST_TIMEOUT_MS: {
    type: 'int',
    default: 10_000,
    min: 1_000,
    max: 300_000,
    description: "any broker request, every client; a request that times out drops that client's connections to the broker (see *Network faults*)",
  },
  KAFKA_FETCH_MAX_BYTES: {
    type: 'int',
    default: 2 * 1024 * 1024,
    min: 64 * 1024,
    max: 256 * 1024 * 1024,
    description: 'bytes one fetch may bring; with the next three, bounds the data the consumer holds (BENCHMARKS.md, Memory)',
  },
  KAFKA_FETCH_MAX_BYTES_PER_PARTITION: {
    type: 'int',
    default: 256 * 1024,
    min: 16 * 1024,
    max: 64 * 1024 * 1024,
    description: 'bytes per partition in one fetch; at most `KAFKA_FETCH_MAX_BYTES`',
  },
  KAFKA_BATCH_MAX_EVENTS: { type: 'int', default: 2_000, min: 1, max: 50_000, description: 'events one transaction takes; `1`: a transaction per message' },
  KAFKA_BATCH_MAX_TRANSACTIONS: { type: 'int', default: 2, min: 1, max: 16, description: 'transactions in flight at once' },
  KAFKA_COMMIT_INTERVAL_MS: {
    type: 'int',
    default: 1_000,
    min: 100,
    max: 60_000,
    description:
      "how often the consumer commits its handled offsets to Kafka, and at shutdown; lag tools, autoscaling and the stuck-consumer alert see offsets up to this late; a partition resumes where the database's stored offset says",
  },
  KAFKA_SSL: { type: 'bool', default: false, description: '`true`: TLS to every broker; the certificate is always verified' },
  KAFKA_SSL_CA_FILE: {
    type: 'pem-file',
    defaultText: 'the system trust store',
    description: 'PEM file of the CA(s) that sign the broker certificates; needs `KAFKA_SSL=true`',
  },
  KAFKA_SSL_CERT_FILE: { type: 'pem-file', description: 'PEM client certificate (mutual TLS); with `KAFKA_SSL_KEY_FILE`, both or neither' },
  KAFKA_SSL_KEY_FILE: { type: 'pem-file', description: 'PEM client key (mutual TLS); with `KAFKA_SSL_CERT_FILE`, both or neither' },
  KAFKA_SASL_MECHANISM: {
    type: 'enum',
    values: SASL_MECHANISMS,
    caseInsensitive: true,
    defaultText: 'none (no SASL)',
    description: '`plain` only with `KAFKA_SSL=true`',
  },
  KAFKA_SASL_USERNAME: { type: 'string', defaultText: 'required with a mechanism', description: 'the SASL user' },
  KAFKA_SASL_PASSWORD: { type: 'string', secret: true, defaultText: 'required with a mechanism', description: 'the SASL password' },
  PORT: { type: 'int', default: 3000, min: 1, max: 65535, description: 'the HTTP port' },
  AUTH_JWT_SECRET: {
    type: 'string',
    secret: true,
    defaultText: 'required in HS256 mode',
    description:
      'at least 32 characters; HS256 mode (local use, tests). Set with any `AUTH_JWKS_URL`/`AUTH_ISSUER`/`AUTH_AUDIENCE` it is a boot error (see Authentication)',
  },
  AUTH_ISSUER: {
    type: 'url',
    description:
      "identity-provider mode: every token's `iss` must equal it; without `AUTH_JWKS_URL`, keys are found by OIDC discovery at `<AUTH_ISSUER>/.well-known/openid-configuration`",
  },
  AUTH_AUDIENCE: { type: 'string', description: "identity-provider mode, required: every token's `aud` must name it" },
  AUTH_JWKS_URL: {
    type: 'url',
    defaultText: 'from discovery',
    description: "the provider's JWKS; `https://` (plain `http://` only on loopback or with `AUTH_IDP_ALLOW_HTTP=true`)",
  },
  AUTH_JWKS_REFRESH_SECONDS: {
    type: 'int',
    default: 600,
    min: 1,
    max: 86_400,
    description: 'identity-provider mode: the keys are refetched in the background this often; a failed fetch keeps the keys the service has',
  },
  AUTH_JWKS_COOLDOWN_SECONDS: {
    type: 'int',
    default: 30,
    min: 1,
    max: 3_600,
    description: 'identity-provider mode: at least this long between two fetches caused by an unknown `kid` or after a failed fetch',
  },
  AUTH_IDP_TIMEOUT_MS: {
    type: 'int',
    default: 5_000,
    min: 100,
    max: 60_000,
    description: 'identity-provider mode: bound of every request to the provider, body included',
  },
  AUTH_IDP_ALLOW_HTTP: {
    type: 'bool',
    default: false,
    description: 'identity-provider mode: `true` allows plain `http://` to a provider off loopback (e.g. inside a mesh that encrypts)',
  },
  AUTH_CLOCK_SKEW_SECONDS: { type: 'int', default: 30, min: 0, max: 300, description: 'leeway for `exp` and `nbf`, both modes' },
  AUTH_TENANT_CLAIM: {
    type: 'string',
    default: 'tenant_id',
    format: 'claim name or dotted path, no spaces, at most 256 characters',
    description: "the claim that names the caller's tenant: a name (also a namespaced URL) or a dotted path",
  },
  AUTH_ROLES_CLAIM: {
    type: 'string',
    default: 'roles',
    format: 'claim name or dotted path, no spaces, at most 256 characters',
    description:
      "the claim with the caller's roles: an array of strings, or a dotted path to one (`realm_access.roles`); `scope`/`scp` as a space-separated string",
  },
  AUTH_ADMIN_ROLE: { type: 'string', default: 'admin', format: 'no spaces, at most 256 characters', description: 'the role the admin routes need' },
  RETENTION_DAYS: {
    type: 'int',
    default: 30,
    min: 1,
    max: 3650,
    description: 'claims older than this are purged; at least 7 unless `RETENTION_ALLOW_UNSAFE=true`',
  },
  RETENTION_ALLOW_UNSAFE: { type: 'bool', default: false, description: "`true` allows `RETENTION_DAYS` below Kafka's default offset retention (7 days)" },
  CLEANUP_CRON: { type: 'string', default: '0 3 * * *', format: 'cron expression', description: 'when the retention purge runs' },
  CLEANUP_BATCH_SIZE: { type: 'int', default: 5000, min: 1, max: 100000, description: 'claims deleted per purge transaction' },
  BILLING_DEFAULT_CURRENCY: { type: 'string', default: 'USD', format: 'ISO 4217 code', description: 'the currency of an event that names none' },
  NODE_ENV: { type: 'string', description: '`production` makes `LOG_FORMAT` default to `json`' },
  LOG_FORMAT: {
    type: 'enum',
    values: LOG_FORMATS,
    caseInsensitive: true,
    defaultText: '`json` when `NODE_ENV=production`, else `pretty`',
    description: '`json`: one JSON object per line; `pretty`: readable lines (needs the dev dependency `pino-pretty`)',
  },
  LOG_LEVEL: { type: 'enum', values: LOG_LEVELS, default: 'info', caseInsensitive: true, description: 'the lowest level logged' },
  CONSUMER_RETRY_INITIAL_MS: { type: 'int', default: 200, min: 1, max: 60_000, description: 'first backoff of a parked partition: doubles per try' },
  CONSUMER_RETRY_MAX_MS: {
    type: 'int',
    default: 30_000,
    min: 1,
    max: 600_000,
    description: 'backoff cap of a parked partition; at least `CONSUMER_RETRY_INITIAL_MS`',
  },
  CONSUMER_STUCK_AFTER_MS: {
    type: 'int',
    default: 60_000,
    min: 1,
    max: 86_400_000,
    description: 'a partition retrying one message for longer makes `/health` 503, naming it',
  },
  KAFKA_DLT_MAX_MESSAGE_BYTES: {
    type: 'int',
    default: 1_000_000,
    min: 1_024,
    max: 100_000_000,
    description: "larger dead letters are cut (see *Failures*); the broker's default `message.max.bytes` is 1048588",
  },
  KAFKA_DLT_COMPRESSION: {
    type: 'enum',
    values: DLT_COMPRESSION_CODECS,
    default: 'none',
    description: "codec of the DLT producer's record batches: `snappy` is xerial-framed, as Java writes it; `lz4` is an LZ4 frame",
  },
  DATABASE_STATEMENT_TIMEOUT_MS: {
    type: 'int',
    default: 30_000,
    min: 100,
    max: 3_600_000,
    description: "the service's statements (not migrations) give up after this and are retried",
  },
  DATABASE_LOCK_TIMEOUT_MS: {
    type: 'int',
    default: 10_000,
    min: 100,
    max: 3_600_000,
    description: 'lock waits of the service give up after this and are retried',
  },
  DATABASE_QUERY_TIMEOUT_MS: {
    type: 'int',
    min: 200,
    max: 3_700_000,
    defaultText: '`DATABASE_STATEMENT_TIMEOUT_MS` + 5000',
    description:
      'client side: a statement unanswered this long means a silent connection; it is dropped (never pooled again) and the work retried. Must be above `DATABASE_STATEMENT_TIMEOUT_MS` (see *Network faults*)',
  },
  DATABASE_SILENCE_CHECK_AFTER_MS: {
    type: 'int',
    default: 5_000,
    min: 0,
    max: 3_600_000,
    description:
      "a connection awaiting an answer this long is checked against `pg_stat_activity`; `0` turns the check off (do so behind a transaction-mode pooler such as PgBouncer or RDS Proxy, whose backend pids are not PostgreSQL's)",
  },
  DATABASE_CONNECT_TIMEOUT_MS: { type: 'int', default: 10_000, min: 100, max: 600_000, description: 'opening a connection (TCP, TLS, authentication)' },
  DATABASE_KEEPALIVE_INITIAL_DELAY_MS: {
    type: 'int',
    default: 10_000,
    min: 1_000,
    max: 3_600_000,
    description: 'TCP keepalive probes start after this much quiet on a connection (keepalive is always on)',
  },
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: {
    type: 'int',
    default: 60_000,
    min: 1_000,
    max: 3_600_000,
    description:
      'PostgreSQL ends a session of the service left idle inside a transaction this long (rolled back, locks freed); must be above `OUTBOX_PUBLISH_TIMEOUT_MS`',
  },
  OUTBOX_TOPIC: {
    type: 'string',
    default: INVOICE_CREATED_TOPIC,
    description: 'where the relay announces invoices (created with `KAFKA_TOPIC_PARTITIONS` partitions if missing)',
  },
  OUTBOX_RELAY_ENABLED: { type: 'bool', default: true, description: '`false`: this replica writes outbox rows but does not relay them' },
  OUTBOX_BATCH_SIZE: {
    type: 'int',
    default: 2_000,
    min: 1,
    max: 10_000,
    description: 'rows per relay transaction, sent in as few producer sends as `OUTBOX_SEND_MAX_BYTES` allows',
  },
  OUTBOX_SEND_MAX_BYTES: {
    type: 'int',
    default: 900_000,
    min: 1_024,
    max: 100_000_000,
    description:
      "bytes of keys, values and headers in one relay send; below the outbox topic's `max.message.bytes` (the broker's default is 1048588); a larger row goes alone",
  },
  OUTBOX_POLL_INTERVAL_MS: { type: 'int', default: 1_000, min: 10, max: 600_000, description: 'the polling fallback when no NOTIFY arrives' },
  OUTBOX_LINGER_MS: {
    type: 'int',
    default: 20,
    min: 0,
    max: 1_000,
    description:
      'after a NOTIFY, the relay waits this long before its round, so the commits that follow go out with it: fewer rounds for this much later an announcement',
  },
  OUTBOX_RETRY_INITIAL_MS: { type: 'int', default: 200, min: 1, max: 60_000, description: 'relay backoff after a failed round: doubles per round' },
  OUTBOX_RETRY_MAX_MS: { type: 'int', default: 30_000, min: 1, max: 600_000, description: 'relay backoff cap; at least `OUTBOX_RETRY_INITIAL_MS`' },
  OUTBOX_UNHEALTHY_AFTER_MS: {
    type: 'int',
    default: 120_000,
    min: 1_000,
    max: 86_400_000,
    description: '`/health` reports the relay down once it has failed this long, or a row has waited this long',
  },
  OUTBOX_PUBLISH_TIMEOUT_MS: {
    type: 'int',
    default: 15_000,
    min: 100,
    max: 600_000,
    description:
      'the longest a relay round holds the relay cursor (and its transaction) waiting for the broker to acknowledge a batch; past it the round rolls back and is retried',
  },
  OTEL_EXPORTER_OTLP_ENDPOINT: {
    type: 'url',
    defaultText: 'none (tracing off)',
    format: 'http:// or https:// URL',
    description: 'OTLP/HTTP base URL of a collector, e.g. `http://otel-collector:4318`; spans go to `<endpoint>/v1/traces` as JSON (see Tracing)',
  },
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: {
    type: 'url',
    format: 'http:// or https:// URL',
    description: 'full traces URL, used as given; wins over the generic endpoint',
  },
  OTEL_SERVICE_NAME: { type: 'string', default: 'billing-service', description: 'the `service.name` resource attribute' },
  OTEL_BSP_SCHEDULE_DELAY: { type: 'int', default: 5_000, min: 10, max: 600_000, description: 'ms finished spans wait to be exported together' },
  OTEL_EXPORTER_OTLP_HEADERS: {
    type: 'external',
    secret: true,
    defaultText: 'none',
    description: 'read by the exporter itself (e.g. `api-key=...` for a hosted backend); never logged',
  },
  OTEL_EXPORTER_OTLP_TIMEOUT: { type: 'external', defaultText: '`10000`', description: 'read by the exporter itself: ms an export may take' },
} as const satisfies Record<string, Variable>;

export type ConfigTable = typeof CONFIG_TABLE;
export type ConfigName = keyof ConfigTable;
type NamesOf<T extends Variable['type']> = { [N in ConfigName]: ConfigTable[N]['type'] extends T ? N : never }[ConfigName];
export type IntName = NamesOf<'int'>;
export type BoolName = NamesOf<'bool'>;
export type EnumName = NamesOf<'enum'>;
export type TextName = NamesOf<'string' | 'url'>;
export type PemFileName = NamesOf<'pem-file'>;
export type SecretName = { [N in ConfigName]: ConfigTable[N] extends { secret: true } ? N : never }[ConfigName];
/** Every variable a reader may look at: the table's, and the <NAME>_FILE variant of each secret. */
export type ReadableName = ConfigName | `${SecretName}_FILE`;
export type EnumValue<N extends EnumName> = ConfigTable[N]['values'][number];

export const ENVIRONMENT_TABLE_BEGIN = '<!-- environment table: generated by `npm run config:docs` from src/config/config-table.ts; do not edit -->';
export const ENVIRONMENT_TABLE_END = '<!-- end of environment table -->';

/** The docs' environment table, one row per variable, in the table's order. */
export function renderEnvironmentTable(table: Readonly<Record<string, Variable>> = CONFIG_TABLE): string {
  const rows = Object.entries(table).map(
    ([name, variable]) => `| \`${name}\` | ${typeOf(variable)} | ${defaultOf(variable)} | ${secretOf(name, variable)} | ${variable.description} |`,
  );
  return ['| variable | type and range | default | secret | description |', '|---|---|---|---|---|', ...rows].join('\n');
}

function typeOf(variable: Variable): string {
  const format = variable.format ? `: ${variable.format}` : '';
  switch (variable.type) {
    case 'int':
      return `integer, ${variable.min} to ${variable.max}`;
    case 'enum':
      return `one of ${variable.values.map((value) => `\`${value}\``).join(', ')}`;
    case 'bool':
      return '`true` or `false`';
    case 'pem-file':
      return 'path of a PEM file';
    case 'external':
      return 'read by the library';
    default:
      return `${variable.type}${format}`;
  }
}

function defaultOf(variable: Variable): string {
  if (variable.defaultText) return variable.defaultText;
  return 'default' in variable && variable.default !== undefined ? `\`${String(variable.default)}\`` : 'none';
}

function secretOf(name: string, variable: Variable): string {
  if (!variable.secret) return 'no';
  return variable.type === 'external' ? 'yes' : `yes (or \`${name}_FILE\`)`;
}
