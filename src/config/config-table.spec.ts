import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPRESSION_CODECS } from '../kafka/compression-codec-names';
import { cliKafkaDefaults, loadReconcileEnv } from './cli-env';
import {
  CONFIG_TABLE,
  ConfigName,
  DLT_COMPRESSION_CODECS,
  ENVIRONMENT_TABLE_BEGIN,
  ENVIRONMENT_TABLE_END,
  IntName,
  renderEnvironmentTable,
} from './config-table';
import { loadConfig } from './configuration';
import { ConfigValidationError, Env, EnvReader } from './env-reader';

const SECRET = 'a'.repeat(32);
const NAMES = Object.keys(CONFIG_TABLE) as ConfigName[];
const INT_NAMES = NAMES.filter((name): name is IntName => CONFIG_TABLE[name].type === 'int');

function problemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  return [];
}

function readInteger(name: IntName, raw: string | undefined): { value: number; problems: string[] } {
  const env = new EnvReader({ [name]: raw });
  const value = env.integer(name, 1);
  return { value, problems: problemsOf(() => env.assertValid()) };
}

describe('CONFIG_TABLE', () => {
  it('describes every variable, and gives every integer a range that holds its default', () => {
    for (const name of NAMES) expect([name, CONFIG_TABLE[name].description.length > 0]).toEqual([name, true]);
    for (const name of INT_NAMES) {
      const variable: { default?: number; min: number; max: number } = CONFIG_TABLE[name];
      expect([name, variable.min <= variable.max]).toEqual([name, true]);
      if (variable.default !== undefined) expect([name, variable.min <= variable.default && variable.default <= variable.max]).toEqual([name, true]);
    }
  });

  it('allows exactly the codecs the Kafka adapter knows for dead letters', () => {
    expect([...DLT_COMPRESSION_CODECS]).toEqual([...COMPRESSION_CODECS]);
  });
});

describe('the table-driven loader', () => {
  it("reads every integer's table default when unset, and its bounds inclusive", () => {
    for (const name of INT_NAMES) {
      const variable: { default?: number; min: number; max: number } = CONFIG_TABLE[name];
      expect([name, new EnvReader({}).integer(name, variable.default === undefined ? 42 : undefined)]).toEqual([name, variable.default ?? 42]);
      expect([name, readInteger(name, String(variable.min))]).toEqual([name, { value: variable.min, problems: [] }]);
      expect([name, readInteger(name, ` ${variable.max} `)]).toEqual([name, { value: variable.max, problems: [] }]);
    }
  });

  it('refuses an integer out of its range or not an integer with one line naming the variable and the range', () => {
    for (const name of INT_NAMES) {
      const { min, max } = CONFIG_TABLE[name];
      for (const raw of [String(min - 1), String(max + 1), '1.5', '12abc']) {
        expect(readInteger(name, raw).problems).toEqual([`${name} must be an integer from ${min} to ${max}, got "${raw}"`]);
      }
    }
  });

  it('loads the table defaults into the config objects', () => {
    const config = loadConfig({ AUTH_JWT_SECRET: SECRET });
    expect(config.http.port).toBe(CONFIG_TABLE.PORT.default);
    expect(config.database.url).toBe(CONFIG_TABLE.DATABASE_URL.default);
    expect(config.kafka).toMatchObject({
      brokers: [CONFIG_TABLE.KAFKA_BROKERS.default],
      groupId: CONFIG_TABLE.KAFKA_GROUP_ID.default,
      topic: CONFIG_TABLE.KAFKA_TOPIC.default,
      deadLetterTopic: `${CONFIG_TABLE.KAFKA_TOPIC.default}.dlt`,
      sessionTimeoutMs: CONFIG_TABLE.KAFKA_SESSION_TIMEOUT_MS.default,
    });
    expect(config.retention).toEqual({ retentionDays: 30, cleanupCron: CONFIG_TABLE.CLEANUP_CRON.default, cleanupBatchSize: 5000 });
    expect(config.outbox).toMatchObject({ topic: CONFIG_TABLE.OUTBOX_TOPIC.default, relayEnabled: true, publishTimeoutMs: 15_000 });
    expect(config.consumerPolicy.deadLetterCompression).toBe('none');
    expect(config.logging).toEqual({ level: 'info', format: 'pretty' });
    expect(config.billing.defaultCurrency).toBe('USD');
  });

  it('refuses a removed variable that is still set, saying what replaced it', () => {
    expect(() => loadConfig({ AUTH_JWT_SECRET: SECRET, KAFKA_CONSUME_MODE: 'message' })).toThrow(
      /KAFKA_CONSUME_MODE was removed: every consumer takes batches; for a transaction per message set KAFKA_BATCH_MAX_EVENTS=1/,
    );
  });

  it('gives a bad value exactly one line, naming the variable and what it must be', () => {
    const load = (env: Env) => problemsOf(() => loadConfig({ AUTH_JWT_SECRET: SECRET, ...env }));
    expect(load({ PORT: '70000' })).toEqual(['PORT must be an integer from 1 to 65535, got "70000"']);
    expect(load({ OUTBOX_RELAY_ENABLED: 'maybe' })).toEqual(['OUTBOX_RELAY_ENABLED must be true or false, got "maybe"']);
    expect(load({ KAFKA_DLT_COMPRESSION: 'brotli' })).toEqual(['KAFKA_DLT_COMPRESSION must be one of none, gzip, snappy, lz4, zstd, got "brotli"']);
    expect(load({ LOG_FORMAT: 'xml' })).toEqual(['LOG_FORMAT must be json or pretty, got "xml"']);
    expect(load({ LOG_LEVEL: 'Warn' })).toEqual([]);
  });

  it('never prints the value of a secret, however it is wrong', () => {
    const secretValue = 'hunter2-do-not-print';
    const problems = [
      ...problemsOf(() => loadConfig({ AUTH_JWT_SECRET: secretValue })),
      ...problemsOf(() => loadConfig({ AUTH_JWT_SECRET: SECRET, DATABASE_URL: `mysql://billing:${secretValue}@db/billing` })),
      ...problemsOf(() => loadConfig({ AUTH_JWT_SECRET: SECRET, DATABASE_URL: `postgres://billing:${secretValue}@db/billing?sslmode=prefer` })),
      ...problemsOf(() => loadConfig({ AUTH_JWT_SECRET: SECRET, KAFKA_SASL_PASSWORD: secretValue })),
    ];
    expect(problems).toEqual([
      'AUTH_JWT_SECRET must be at least 32 characters',
      'DATABASE_URL must be a postgres:// URL',
      'DATABASE_URL sslmode must be one of disable, require, verify-ca, verify-full, got "prefer" (node-postgres cannot fall back to plain text)',
      'KAFKA_SASL_PASSWORD needs KAFKA_SASL_MECHANISM',
    ]);
    const sasl = loadConfig({ AUTH_JWT_SECRET: SECRET, KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: secretValue });
    expect(JSON.stringify(sasl.kafka)).not.toContain(secretValue);
  });

  it('serves the CLIs the same defaults and the same checks', () => {
    expect(cliKafkaDefaults({})).toMatchObject({ brokers: CONFIG_TABLE.KAFKA_BROKERS.default, topic: CONFIG_TABLE.KAFKA_TOPIC.default });
    expect(loadReconcileEnv({})).toMatchObject({ groupId: CONFIG_TABLE.KAFKA_GROUP_ID.default, databaseUrl: CONFIG_TABLE.DATABASE_URL.default });
    expect(problemsOf(() => cliKafkaDefaults({ KAFKA_BROKERS: 'no-port' }))).toEqual(['KAFKA_BROKERS must be a comma-separated list of host:port']);
    expect(problemsOf(() => loadReconcileEnv({ BILLING_DEFAULT_CURRENCY: 'XYZ' }))).toEqual([
      'BILLING_DEFAULT_CURRENCY must be an ISO 4217 code such as USD, got "XYZ"',
    ]);
  });
});

describe('docs/configuration.md', () => {
  it('holds the environment table generated from CONFIG_TABLE, one row per variable', () => {
    const docs = readFileSync(join(__dirname, '../../docs/configuration.md'), 'utf8');
    const generated = docs.slice(docs.indexOf(ENVIRONMENT_TABLE_BEGIN) + ENVIRONMENT_TABLE_BEGIN.length, docs.indexOf(ENVIRONMENT_TABLE_END)).trim();
    expect(generated).toBe(renderEnvironmentTable());
    expect(generated.split('\n').filter((line) => line.startsWith('| `'))).toHaveLength(NAMES.length);
  });

  it('marks secrets and states ranges, allowed values and derived defaults', () => {
    const rows = renderEnvironmentTable().split('\n');
    expect(rows).toContain('| `PORT` | integer, 1 to 65535 | `3000` | no | the HTTP port |');
    expect(rows.find((row) => row.startsWith('| `KAFKA_SASL_PASSWORD` |'))).toContain('| yes (or `KAFKA_SASL_PASSWORD_FILE`) |');
    expect(rows.find((row) => row.startsWith('| `LOG_LEVEL` |'))).toContain('one of `fatal`, `error`, `warn`, `info`, `debug`, `trace`, `silent`');
    expect(rows.find((row) => row.startsWith('| `DATABASE_QUERY_TIMEOUT_MS` |'))).toContain('| `DATABASE_STATEMENT_TIMEOUT_MS` + 5000 |');
  });
});
