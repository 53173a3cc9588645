import { Env, EnvReader } from './env-reader';
import { BillingConfig, readBilling, readBrokers } from './configuration';
import { readDatabaseUrl } from './database-url';
import { KafkaSecurity, readKafkaSecurity } from './kafka-security';

export interface CliKafkaDefaults {
  brokers: string;
  topic: string;
  security?: KafkaSecurity;
}

/**
 * The operator CLIs default to the service's own broker and topic variables (read through the same table, with the
 * same defaults and checks), and reach the brokers with the service's TLS and SASL settings, so one environment serves both.
 */
export function cliKafkaDefaults(rawEnv: Env = process.env): CliKafkaDefaults {
  const env = new EnvReader(rawEnv);
  const brokers = readBrokers(env).join(',');
  const topic = env.string('KAFKA_TOPIC');
  const security = readKafkaSecurity(env);
  env.assertValid();
  return { brokers, topic, security };
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
  const billing = readBilling(env);
  const groupId = env.string('KAFKA_GROUP_ID');
  const deadLetterTopic = env.optionalString('KAFKA_DLT_TOPIC');
  env.assertValid();
  return { ...cliKafkaDefaults(rawEnv), databaseUrl, groupId, deadLetterTopic, billing };
}
