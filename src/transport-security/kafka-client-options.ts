import { KafkaConfig as KafkaClientConfig, SASLOptions } from 'kafkajs';
import { KafkaTimeoutConfig } from '../config/configuration';
import { KafkaSecurity } from '../config/kafka-security';

export interface KafkaConnection {
  brokers: string[];
  security?: KafkaSecurity;
  timeouts?: Pick<KafkaTimeoutConfig, 'connectionTimeoutMs' | 'requestTimeoutMs'>;
}

export type KafkaClientOptions = Pick<KafkaClientConfig, 'brokers' | 'ssl' | 'sasl' | 'connectionTimeout' | 'requestTimeout' | 'enforceRequestTimeout'>;

/**
 * The one place where the typed settings become kafkajs options: every client the service and its CLIs create
 * spreads this into `new Kafka({...})`. rejectUnauthorized is forced on, whatever else changes.
 */
export function kafkaClientOptions({ brokers, security, timeouts }: KafkaConnection): KafkaClientOptions {
  const tls = security?.tls;
  const sasl = security?.sasl;
  return {
    brokers,
    ...(timeouts && { connectionTimeout: timeouts.connectionTimeoutMs, requestTimeout: timeouts.requestTimeoutMs, enforceRequestTimeout: true }),
    ...(tls && { ssl: { ...tls, rejectUnauthorized: true } }),
    ...(sasl && { sasl: { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as SASLOptions }),
  };
}
