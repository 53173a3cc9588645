import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigValidationError } from './env-reader';
import { loadConfig } from './configuration';
import { DatabaseUrlError, postgresConnection } from './postgres-tls';

const SECRET = 'a'.repeat(32);

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('applies the contract defaults', () => {
    const config = loadConfig({ AUTH_JWT_SECRET: SECRET });
    expect(config.database.url).toBe('postgres://postgres@127.0.0.1:5432/billing');
    expect(config.kafka).toMatchObject({
      brokers: ['127.0.0.1:9092'],
      groupId: 'billing-service',
      topic: 'order.completed',
      deadLetterTopic: 'order.completed.dlt',
    });
    expect(config.http.port).toBe(3000);
    expect(config.retention.retentionDays).toBe(30);
    expect(config.billing.defaultCurrency).toBe('USD');
  });

  it('reports every bad variable by name at once', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      KAFKA_BROKERS: 'nohost',
      DATABASE_URL: 'mysql://x',
      RETENTION_DAYS: '0',
      CLEANUP_CRON: 'every day',
      BILLING_DEFAULT_CURRENCY: 'usd',
    });
    expect(problems.map((p) => p.split(' ')[0]).sort()).toEqual(
      ['AUTH_JWT_SECRET', 'BILLING_DEFAULT_CURRENCY', 'CLEANUP_CRON', 'DATABASE_URL', 'KAFKA_BROKERS', 'PORT', 'RETENTION_DAYS'].sort(),
    );
  });

  it('refuses a short JWT secret', () => {
    expect(problemsOf({ AUTH_JWT_SECRET: 'short' })).toEqual(['AUTH_JWT_SECRET must be at least 32 characters']);
  });

  it('refuses a retention shorter than Kafka offset retention unless the operator overrides it', () => {
    expect(problemsOf({ AUTH_JWT_SECRET: SECRET, RETENTION_DAYS: '3' })[0]).toMatch(/^RETENTION_DAYS must be at least 7/);
    expect(loadConfig({ AUTH_JWT_SECRET: SECRET, RETENTION_DAYS: '3', RETENTION_ALLOW_UNSAFE: 'true' }).retention.retentionDays).toBe(3);
  });

  it('keeps the 30 s session timeout unless set, and reads no fault injection (test/support/standalone/faulty-service.ts does)', () => {
    const config = loadConfig({ AUTH_JWT_SECRET: SECRET, BILLING_CHAOS_CRASH_AFTER_COMMIT_EVERY: '1' });
    expect(JSON.stringify(config)).not.toMatch(/crash/i);
    expect(config.kafka.sessionTimeoutMs).toBe(30_000);
  });

  it('writes dead letters uncompressed unless KAFKA_DLT_COMPRESSION names a codec Kafka defines', () => {
    expect(loadConfig({ AUTH_JWT_SECRET: SECRET }).consumerPolicy.deadLetterCompression).toBe('none');
    expect(loadConfig({ AUTH_JWT_SECRET: SECRET, KAFKA_DLT_COMPRESSION: 'zstd' }).consumerPolicy.deadLetterCompression).toBe('zstd');
    expect(problemsOf({ AUTH_JWT_SECRET: SECRET, KAFKA_DLT_COMPRESSION: 'brotli' })).toEqual([
      'KAFKA_DLT_COMPRESSION must be one of none, gzip, snappy, lz4, zstd, got "brotli"',
    ]);
  });

  it('refuses a session timeout the broker would reject', () => {
    expect(problemsOf({ AUTH_JWT_SECRET: SECRET, KAFKA_SESSION_TIMEOUT_MS: '5000' })).toEqual([
      'KAFKA_SESSION_TIMEOUT_MS must be an integer from 6000 to 300000, got "5000"',
    ]);
  });

  it('bounds every Kafka client by default and refuses heartbeat and rebalance settings the group would break on', () => {
    expect(loadConfig({ AUTH_JWT_SECRET: SECRET }).kafka.timeouts).toEqual({
      connectionTimeoutMs: 3_000,
      requestTimeoutMs: 10_000,
      heartbeatIntervalMs: 3_000,
      rebalanceTimeoutMs: 60_000,
      produceAckTimeoutMs: 7_500,
    });
    expect(loadConfig({ AUTH_JWT_SECRET: SECRET, KAFKA_SESSION_TIMEOUT_MS: '6000' }).kafka.timeouts.heartbeatIntervalMs).toBe(2_000);
    expect(
      problemsOf({
        AUTH_JWT_SECRET: SECRET,
        KAFKA_SESSION_TIMEOUT_MS: '9000',
        KAFKA_HEARTBEAT_INTERVAL_MS: '3001',
        KAFKA_REBALANCE_TIMEOUT_MS: '8000',
        KAFKA_REQUEST_TIMEOUT_MS: '500',
        KAFKA_CONNECTION_TIMEOUT_MS: 'soon',
      }).sort(),
    ).toEqual([
      'KAFKA_CONNECTION_TIMEOUT_MS must be an integer from 100 to 60000, got "soon"',
      'KAFKA_HEARTBEAT_INTERVAL_MS must be at most a third of KAFKA_SESSION_TIMEOUT_MS (9000)',
      'KAFKA_REBALANCE_TIMEOUT_MS must be at least KAFKA_SESSION_TIMEOUT_MS (9000)',
      'KAFKA_REQUEST_TIMEOUT_MS must be an integer from 1000 to 300000, got "500"',
    ]);
  });

  it('has the broker give up on slow replicas clearly before the client gives up on the broker, across the whole range', () => {
    for (const requestTimeoutMs of [1_000, 1_001, 10_000, 300_000]) {
      const timeouts = loadConfig({ AUTH_JWT_SECRET: SECRET, KAFKA_REQUEST_TIMEOUT_MS: String(requestTimeoutMs) }).kafka.timeouts;
      expect(timeouts.produceAckTimeoutMs).toBeGreaterThan(0);
      expect(requestTimeoutMs - timeouts.produceAckTimeoutMs).toBeGreaterThanOrEqual(Math.floor(requestTimeoutMs / 4));
      expect(timeouts.produceAckTimeoutMs).toBeGreaterThanOrEqual(requestTimeoutMs / 2);
    }
  });

  it('relays the outbox to invoice.created by default, and refuses a retry ceiling below its start', () => {
    expect(loadConfig({ AUTH_JWT_SECRET: SECRET }).outbox).toMatchObject({
      topic: 'invoice.created',
      relayEnabled: true,
      batchSize: 2000,
      sendMaxBytes: 900_000,
    });
    expect(loadConfig({ AUTH_JWT_SECRET: SECRET, OUTBOX_TOPIC: 'billing.invoices' }).outbox.topic).toBe('billing.invoices');
    expect(problemsOf({ AUTH_JWT_SECRET: SECRET, OUTBOX_RETRY_INITIAL_MS: '500', OUTBOX_RETRY_MAX_MS: '100', OUTBOX_BATCH_SIZE: '0' }).sort()).toEqual([
      'OUTBOX_BATCH_SIZE must be an integer from 1 to 10000, got "0"',
      'OUTBOX_RETRY_MAX_MS must be at least OUTBOX_RETRY_INITIAL_MS (500)',
    ]);
  });

  it('turns tracing on only with an OTLP endpoint, appending /v1/traces to the generic one', () => {
    expect(loadConfig({ AUTH_JWT_SECRET: SECRET }).tracing).toMatchObject({ enabled: false, tracesUrl: undefined });
    expect(loadConfig({ AUTH_JWT_SECRET: SECRET, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing).toMatchObject({
      enabled: true,
      tracesUrl: 'http://collector:4318/v1/traces',
      serviceName: 'billing-service',
    });
    const traces = { AUTH_JWT_SECRET: SECRET, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b/otlp/traces' };
    expect(loadConfig(traces).tracing.tracesUrl).toBe('https://b/otlp/traces');
    expect(problemsOf({ AUTH_JWT_SECRET: SECRET, OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317', OTEL_BSP_SCHEDULE_DELAY: '0' }).sort()).toEqual([
      'OTEL_BSP_SCHEDULE_DELAY must be an integer from 10 to 600000, got "0"',
      'OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL',
    ]);
  });
});

const dir = mkdtempSync(join(tmpdir(), 'billing-config-'));
const file = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('secrets from files', () => {
  it('reads AUTH_JWT_SECRET, KAFKA_SASL_PASSWORD and DATABASE_URL from <NAME>_FILE, without the trailing newline', () => {
    const config = loadConfig({
      AUTH_JWT_SECRET_FILE: file('jwt', `${SECRET}\n`),
      DATABASE_URL_FILE: file('db', 'postgres://billing:s3cret@db:5432/billing\n'),
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'billing',
      KAFKA_SASL_PASSWORD_FILE: file('kafka', 'kafka-pass\n'),
    });
    expect(config.auth.jwtSecret).toBe(SECRET);
    expect(config.database.url).toBe('postgres://billing:s3cret@db:5432/billing');
    expect(config.kafka.security.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'billing', password: 'kafka-pass' });
  });

  it('refuses a variable given both ways, an unreadable file and an empty one, naming the variable and never the value', () => {
    const problems = problemsOf({
      AUTH_JWT_SECRET: SECRET,
      AUTH_JWT_SECRET_FILE: file('jwt2', SECRET),
      DATABASE_URL_FILE: join(dir, 'missing'),
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SSL: 'true',
      KAFKA_SASL_USERNAME: 'billing',
      KAFKA_SASL_PASSWORD_FILE: file('empty', '\n'),
    });
    expect(problems).toEqual([
      `DATABASE_URL_FILE cannot read ${join(dir, 'missing')} (ENOENT)`,
      'AUTH_JWT_SECRET and AUTH_JWT_SECRET_FILE are both set; give only one',
      `KAFKA_SASL_PASSWORD_FILE names an empty file (${join(dir, 'empty')})`,
    ]);
    expect(problems.join()).not.toContain(SECRET);
  });
});

describe('Kafka transport settings', () => {
  it('are off unless set', () => {
    expect(loadConfig({ AUTH_JWT_SECRET: SECRET }).kafka.security).toMatchObject({ tls: undefined, sasl: undefined });
  });

  it('read the PEM files when KAFKA_SSL=true and keep the password out of JSON', () => {
    const security = loadConfig({
      AUTH_JWT_SECRET: SECRET,
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: file('ca.pem', PEM),
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256',
      KAFKA_SASL_USERNAME: 'billing',
      KAFKA_SASL_PASSWORD: 'hunter2-hunter2',
    }).kafka.security;
    expect(security.tls).toEqual({ ca: PEM, cert: undefined, key: undefined });
    expect(JSON.stringify(security)).toBe('{"tls":{"ca":true,"clientCertificate":false},"sasl":{"mechanism":"scram-sha-256","username":"billing"}}');
  });

  it('refuse settings that cannot work, naming each', () => {
    expect(
      problemsOf({
        AUTH_JWT_SECRET: SECRET,
        KAFKA_SSL_CA_FILE: file('not-pem', 'hello'),
        KAFKA_SSL_CERT_FILE: file('cert.pem', PEM),
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'billing',
      }),
    ).toEqual([
      `KAFKA_SSL_CA_FILE must name a PEM file, ${join(dir, 'not-pem')} is not one`,
      'KAFKA_SSL_CA_FILE needs KAFKA_SSL=true',
      'KAFKA_SSL_CERT_FILE needs KAFKA_SSL=true',
      'KAFKA_SSL_KEY_FILE and KAFKA_SSL_CERT_FILE must be given together',
      'KAFKA_SASL_MECHANISM plain sends the password in clear text; it needs KAFKA_SSL=true',
      'KAFKA_SASL_PASSWORD is required',
    ]);
    expect(problemsOf({ AUTH_JWT_SECRET: SECRET, KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })).toEqual([
      'KAFKA_SASL_MECHANISM must be one of plain, scram-sha-256, scram-sha-512, got "gssapi"',
    ]);
    expect(problemsOf({ AUTH_JWT_SECRET: SECRET, KAFKA_SASL_USERNAME: 'u' })).toEqual(['KAFKA_SASL_USERNAME needs KAFKA_SASL_MECHANISM']);
  });
});

describe('DATABASE_URL TLS parameters', () => {
  const ca = file('root.crt', PEM);
  const url = (query: string) => `postgres://billing:s3cret@db.internal:5432/billing?application_name=b&${query}`;

  it('verify-full checks chain and host, verify-ca the chain only, require like verify-full; the URL left to pg has no TLS parameter', () => {
    const full = postgresConnection(url(`sslmode=verify-full&sslrootcert=${ca}`));
    expect(full).toEqual({
      url: 'postgres://billing:s3cret@db.internal:5432/billing?application_name=b',
      sslmode: 'verify-full',
      ssl: { rejectUnauthorized: true, ca: PEM, cert: undefined, key: undefined },
    });
    const chainOnly = postgresConnection(url(`sslmode=verify-ca&sslrootcert=${ca}`)).ssl;
    expect(chainOnly).toMatchObject({ rejectUnauthorized: true, ca: PEM });
    expect(chainOnly && chainOnly.checkServerIdentity?.()).toBeUndefined();
    expect(postgresConnection(url('sslmode=require')).ssl).toEqual({ rejectUnauthorized: true, ca: undefined, cert: undefined, key: undefined });
    expect(postgresConnection(url('sslmode=verify-full&sslrootcert=system')).ssl).toMatchObject({ ca: undefined });
    expect(postgresConnection(url('sslmode=disable')).ssl).toBe(false);
    expect(postgresConnection('postgres://postgres@127.0.0.1:5432/billing').ssl).toBe(false);
  });

  it('refuses what it cannot honour, without the URL or its password in the message', () => {
    const refusal = (query: string) => {
      try {
        postgresConnection(url(query));
      } catch (error) {
        if (error instanceof DatabaseUrlError) return error.message;
        throw error;
      }
      return 'accepted';
    };
    expect(refusal('sslmode=prefer')).toBe(
      'sslmode must be one of disable, require, verify-ca, verify-full, got "prefer" (node-postgres cannot fall back to plain text)',
    );
    expect(refusal('ssl=no-verify')).toBe('parameter ssl is not supported; use sslmode (disable, require, verify-ca, verify-full)');
    expect(refusal(`sslrootcert=${ca}`)).toBe('sslrootcert, sslcert and sslkey need sslmode=require, verify-ca or verify-full');
    expect(refusal(`sslmode=verify-full&sslcert=${ca}`)).toBe('sslcert and sslkey must be given together');
    expect(refusal('sslmode=verify-full&sslrootcert=/nope/root.crt')).toBe('sslrootcert cannot read /nope/root.crt (ENOENT)');
    expect(problemsOf({ AUTH_JWT_SECRET: SECRET, DATABASE_URL: url('sslmode=allow') })).toEqual([
      'DATABASE_URL sslmode must be one of disable, require, verify-ca, verify-full, got "allow" (node-postgres cannot fall back to plain text)',
    ]);
  });

  it('bounds every database call on the client side, above what the server bounds', () => {
    expect(loadConfig({ AUTH_JWT_SECRET: SECRET }).database).toMatchObject({
      statementTimeoutMs: 30_000,
      queryTimeoutMs: 35_000,
      connectTimeoutMs: 10_000,
      keepAliveInitialDelayMs: 10_000,
      idleInTransactionTimeoutMs: 60_000,
      silenceCheckAfterMs: 5_000,
    });
    expect(loadConfig({ AUTH_JWT_SECRET: SECRET, DATABASE_STATEMENT_TIMEOUT_MS: '60000' }).database.queryTimeoutMs).toBe(65_000);
    expect(problemsOf({ AUTH_JWT_SECRET: SECRET, DATABASE_STATEMENT_TIMEOUT_MS: '5000', DATABASE_QUERY_TIMEOUT_MS: '5000' })[0]).toMatch(
      /^DATABASE_QUERY_TIMEOUT_MS must be above DATABASE_STATEMENT_TIMEOUT_MS \(5000\)/,
    );
    expect(problemsOf({ AUTH_JWT_SECRET: SECRET, OUTBOX_PUBLISH_TIMEOUT_MS: '60000' })).toEqual([
      'DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS must be above OUTBOX_PUBLISH_TIMEOUT_MS (60000)',
    ]);
    expect(loadConfig({ AUTH_JWT_SECRET: SECRET }).outbox.publishTimeoutMs).toBe(15_000);
  });
});

const PROVIDER = { AUTH_ISSUER: 'https://idp.example.com/realms/billing', AUTH_AUDIENCE: 'billing-api' };

describe('auth configuration', () => {
  it('defaults to HS256 with the secret, the default claims and a 30 s clock skew', () => {
    const auth = loadConfig({ AUTH_JWT_SECRET: SECRET }).auth;
    expect(auth).toMatchObject({ jwtSecret: SECRET, clockSkewSeconds: 30, identityProvider: undefined });
    expect(auth.claims).toEqual({ tenantClaim: 'tenant_id', rolesClaim: 'roles', adminRole: 'admin' });
  });

  it('reads an identity provider: discovery from the issuer, or an explicit JWKS URL, with its tuning', () => {
    expect(loadConfig(PROVIDER).auth.identityProvider).toEqual({
      issuer: PROVIDER.AUTH_ISSUER,
      audience: 'billing-api',
      jwksUrl: undefined,
      refreshIntervalMs: 600_000,
      cooldownMs: 30_000,
      timeoutMs: 5_000,
      allowPlainHttp: false,
    });
    const tuned = loadConfig({
      ...PROVIDER,
      AUTH_JWKS_URL: 'https://idp.example.com/certs',
      AUTH_JWKS_REFRESH_SECONDS: '60',
      AUTH_JWKS_COOLDOWN_SECONDS: '5',
      AUTH_IDP_TIMEOUT_MS: '2000',
      AUTH_CLOCK_SKEW_SECONDS: '0',
      AUTH_ROLES_CLAIM: 'realm_access.roles',
    }).auth;
    expect(tuned.identityProvider).toMatchObject({ jwksUrl: 'https://idp.example.com/certs', refreshIntervalMs: 60_000, cooldownMs: 5_000, timeoutMs: 2_000 });
    expect(tuned).toMatchObject({ jwtSecret: '', clockSkewSeconds: 0, claims: { rolesClaim: 'realm_access.roles' } });
  });

  it('refuses both modes at once, naming the variables', () => {
    expect(problemsOf({ AUTH_JWT_SECRET: SECRET, ...PROVIDER })).toEqual([
      'AUTH_JWT_SECRET cannot be combined with AUTH_ISSUER, AUTH_AUDIENCE: configure HS256 or an identity provider, not both',
    ]);
    expect(problemsOf({ AUTH_JWT_SECRET_FILE: '/run/secrets/jwt', AUTH_JWKS_URL: 'https://idp/certs', ...PROVIDER })[0]).toMatch(
      /^AUTH_JWT_SECRET_FILE cannot be combined with AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE/,
    );
  });

  it('refuses half an identity provider, naming what is missing', () => {
    expect(problemsOf({ AUTH_JWKS_URL: 'https://idp/certs' })).toEqual([
      "AUTH_ISSUER is required with an identity provider: every token's iss must equal it",
      "AUTH_AUDIENCE is required with an identity provider: every token's aud must name it",
    ]);
    expect(problemsOf({ AUTH_ISSUER: PROVIDER.AUTH_ISSUER })).toEqual(["AUTH_AUDIENCE is required with an identity provider: every token's aud must name it"]);
  });

  it('refuses provider tuning without a provider, and no mode at all', () => {
    expect(problemsOf({ AUTH_JWT_SECRET: SECRET, AUTH_JWKS_COOLDOWN_SECONDS: '5' })).toEqual([
      'AUTH_JWKS_COOLDOWN_SECONDS applies only with an identity provider (AUTH_ISSUER and AUTH_AUDIENCE)',
    ]);
    expect(problemsOf({})).toEqual(['AUTH_JWT_SECRET is required, or AUTH_ISSUER and AUTH_AUDIENCE to verify the tokens of an identity provider']);
  });

  it('fetches keys over https only, plain http on loopback or when allowed', () => {
    const httpIssuer = { AUTH_ISSUER: 'http://keycloak:8080/realms/billing', AUTH_AUDIENCE: 'billing-api' };
    expect(problemsOf(httpIssuer)).toEqual([
      'AUTH_ISSUER must be an https:// URL (http:// only on loopback or with AUTH_IDP_ALLOW_HTTP=true), got "http://keycloak:8080/realms/billing"',
    ]);
    expect(problemsOf({ ...httpIssuer, AUTH_IDP_ALLOW_HTTP: 'true' })).toEqual([]);
    expect(problemsOf({ ...PROVIDER, AUTH_ISSUER: 'http://127.0.0.1:8080/realms/billing' })).toEqual([]);
    expect(problemsOf({ ...PROVIDER, AUTH_JWKS_URL: 'ftp://idp/certs' })[0]).toMatch(/^AUTH_JWKS_URL must be an https:\/\/ URL/);
    // With an explicit JWKS URL the issuer is only compared, so it need not be a URL.
    expect(problemsOf({ AUTH_ISSUER: 'urn:billing:idp', AUTH_AUDIENCE: 'api', AUTH_JWKS_URL: 'https://idp/certs' })).toEqual([]);
  });

  it('bounds the skew, the cooldown and the timeout, and checks the claim names', () => {
    expect(
      problemsOf({
        ...PROVIDER,
        AUTH_CLOCK_SKEW_SECONDS: '301',
        AUTH_JWKS_COOLDOWN_SECONDS: '0',
        AUTH_IDP_TIMEOUT_MS: '60001',
        AUTH_TENANT_CLAIM: 'tenant id',
      }).sort(),
    ).toEqual([
      'AUTH_CLOCK_SKEW_SECONDS must be an integer from 0 to 300, got "301"',
      'AUTH_IDP_TIMEOUT_MS must be an integer from 100 to 60000, got "60001"',
      'AUTH_JWKS_COOLDOWN_SECONDS must be an integer from 1 to 3600, got "0"',
      'AUTH_TENANT_CLAIM must be a claim name or dotted path without spaces, got "tenant id"',
    ]);
  });
});
