import { Client } from 'pg';
import { DatabaseConfig, KafkaConfig } from '../config/configuration';
import { postgresConnection } from '../config/postgres-tls';
import { BootFailure, certificateProblem } from './boot-failure';
import { KafkaClient } from '../kafka/kafka-client';

const PROBE_TIMEOUT_MS = 10_000;

/**
 * One connection to each service before the app starts. A fault that no retry can fix (credentials, trust, a
 * server without TLS) becomes a BootFailure naming the setting; anything else (a broker or database not up yet) is
 * left to the service's own retries, as before.
 */
export async function checkConnections(database: DatabaseConfig, kafka: KafkaConfig): Promise<void> {
  const failures = (await Promise.allSettled([checkPostgres(database), checkKafka(kafka)])).flatMap((r) =>
    r.status === 'rejected' ? [r.reason as unknown] : [],
  );
  const fatal = failures.find((f) => f instanceof BootFailure);
  if (fatal) throw fatal;
  if (failures.length > 0) throw failures[0];
}

export async function checkPostgres(config: DatabaseConfig): Promise<void> {
  const { url, ssl, sslmode } = postgresConnection(config.url);
  const client = new Client({ connectionString: url, ssl, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    const failure = postgresFailure(error, sslmode ?? 'disable');
    if (failure) throw failure;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function postgresFailure(error: unknown, sslmode: string): BootFailure | undefined {
  const certificate = certificateProblem(error);
  if (certificate?.kind === 'host_mismatch') {
    return new BootFailure('DATABASE_URL', `sslmode=${sslmode}: the PostgreSQL server certificate is not valid for the host in the URL (${certificate.code})`);
  }
  if (certificate) return new BootFailure('DATABASE_URL', `sslrootcert: the PostgreSQL server certificate is not trusted (${certificate.code})`);
  const { message = '', code } = error as { message?: string; code?: string };
  if (/does not support SSL/i.test(message)) return new BootFailure('DATABASE_URL', `sslmode=${sslmode}: the PostgreSQL server refuses TLS`);
  if (code === '28000' && /no encryption/i.test(message))
    return new BootFailure('DATABASE_URL', 'the PostgreSQL server accepts only TLS connections; set sslmode=verify-full');
  if (code === '28P01' || code === '28000') return new BootFailure('DATABASE_URL', `PostgreSQL refused the user or password (SQLSTATE ${code})`);
  return undefined;
}

export async function checkKafka(config: KafkaConfig): Promise<void> {
  const kafka = new KafkaClient(config, {
    clientId: `${config.clientId}-preflight`,
    connectionTimeoutMs: PROBE_TIMEOUT_MS,
    retries: 0,
    logLevel: 'nothing',
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (error) {
    const failure = kafkaFailure(error, config);
    if (failure) throw failure;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function kafkaFailure(error: unknown, config: KafkaConfig): BootFailure | undefined {
  const certificate = certificateProblem(error);
  if (certificate?.kind === 'host_mismatch')
    return new BootFailure('KAFKA_BROKERS', `the broker certificate is not valid for the host name (${certificate.code})`);
  if (certificate) return new BootFailure('KAFKA_SSL_CA_FILE', `the broker certificate is not trusted (${certificate.code})`);
  const { name = '', message = '' } = error as { name?: string; message?: string };
  const sasl = config.security.sasl;
  if (name === 'KafkaJSSASLAuthenticationError' && /mechanism/i.test(message) && /not supported|unsupported|enabled/i.test(message)) {
    return new BootFailure('KAFKA_SASL_MECHANISM', `the broker does not accept ${sasl?.mechanism ?? 'this mechanism'}`);
  }
  if (name === 'KafkaJSSASLAuthenticationError') {
    return new BootFailure(
      'KAFKA_SASL_PASSWORD',
      `the broker refused the SASL credentials of KAFKA_SASL_USERNAME=${sasl?.username ?? ''} (${sasl?.mechanism ?? 'no mechanism'})`,
    );
  }
  return undefined;
}
