import { Env } from './env-reader';
import { ORDER_COMPLETED_TOPIC } from './configuration';

export interface CliKafkaDefaults {
  brokers: string;
  topic: string;
}

/** The operator CLIs default to the service's own broker and topic variables, so one environment serves both. */
export function cliKafkaDefaults(env: Env = process.env): CliKafkaDefaults {
  return { brokers: env.KAFKA_BROKERS?.trim() || '127.0.0.1:9092', topic: env.KAFKA_TOPIC?.trim() || ORDER_COMPLETED_TOPIC };
}
