import { Env, EnvReader } from './env-reader';
import { BillingConfig, isIsoCurrency, ORDER_COMPLETED_TOPIC } from './configuration';
import { readDatabaseUrl } from './database-url';
import { KafkaSecurity, readKafkaSecurity } from './kafka-security';

export interface CliKafkaDefaults {
  brokers: string;
  topic: string;
  security?: KafkaSecurity;
}

/**
 * The operator CLIs default to the service's own broker and topic variables, and reach the brokers with the
 * service's TLS and SASL settings, so one environment serves both.
 */
export function cliKafkaDefaults(rawEnv: Env = process.env): CliKafkaDefaults {
  const env = new EnvReader(rawEnv);
  const security = readKafkaSecurity(env);
  env.assertValid();
  return { brokers: rawEnv.KAFKA_BROKERS?.trim() || '127.0.0.1:9092', topic: rawEnv.KAFKA_TOPIC?.trim() || ORDER_COMPLETED_TOPIC, security };
}

export interface ReconcileEnv extends CliKafkaDefaults {
  databaseUrl: string;
  groupId: string;
  deadLetterTopic?: string;
  /** The service's own default currency: an event without one must be read exactly as the service read it. */
  billing: BillingConfig;
}

/** What reconcile needs of the service's environment, validated like the service's (no JWT secret: it serves no HTTP). */
export function loadReconcileEnv(rawEnv: Env = process.env): ReconcileEnv {
  const env = new EnvReader(rawEnv);
  const databaseUrl = readDatabaseUrl(env);
  const defaultCurrency = env.string('BILLING_DEFAULT_CURRENCY', 'USD');
  env.check('BILLING_DEFAULT_CURRENCY', isIsoCurrency(defaultCurrency), `must be an ISO 4217 code such as USD, got "${defaultCurrency}"`);
  const groupId = env.string('KAFKA_GROUP_ID', 'billing-service');
  const deadLetterTopic = env.optionalString('KAFKA_DLT_TOPIC');
  env.assertValid();
  return { ...cliKafkaDefaults(rawEnv), databaseUrl, groupId, deadLetterTopic, billing: new BillingConfig(defaultCurrency) };
}
