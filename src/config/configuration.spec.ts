import { ConfigValidationError } from './env-reader';
import { loadConfig } from './configuration';

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
    expect(config.kafka).toMatchObject({ brokers: ['127.0.0.1:9092'], groupId: 'billing-service', topic: 'order.completed', deadLetterTopic: 'order.completed.dlt' });
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

  it('keeps the chaos fault hook off and the 30 s session timeout unless set', () => {
    const config = loadConfig({ AUTH_JWT_SECRET: SECRET });
    expect(config.testHooks.crashAfterCommitEvery).toBe(0);
    expect(config.testHooks.crashAfterPublishEvery).toBe(0);
    expect(config.kafka.sessionTimeoutMs).toBe(30_000);
  });

  it('refuses a session timeout the broker would reject', () => {
    expect(problemsOf({ AUTH_JWT_SECRET: SECRET, KAFKA_SESSION_TIMEOUT_MS: '5000' })).toEqual([
      'KAFKA_SESSION_TIMEOUT_MS must be an integer from 6000 to 300000, got "5000"',
    ]);
  });

  it('relays the outbox to invoice.created by default, and refuses a retry ceiling below its start', () => {
    expect(loadConfig({ AUTH_JWT_SECRET: SECRET }).outbox).toMatchObject({ topic: 'invoice.created', relayEnabled: true, shards: 16 });
    expect(loadConfig({ AUTH_JWT_SECRET: SECRET, OUTBOX_TOPIC: 'billing.invoices' }).outbox.topic).toBe('billing.invoices');
    expect(problemsOf({ AUTH_JWT_SECRET: SECRET, OUTBOX_RETRY_INITIAL_MS: '500', OUTBOX_RETRY_MAX_MS: '100', OUTBOX_RELAY_SHARDS: '0' }).sort()).toEqual([
      'OUTBOX_RELAY_SHARDS must be an integer from 1 to 1024, got "0"',
      'OUTBOX_RETRY_MAX_MS must be at least OUTBOX_RETRY_INITIAL_MS (500)',
    ]);
  });
});
