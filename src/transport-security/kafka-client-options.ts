import { KafkaConfig as KafkaClientConfig, SASLOptions } from 'kafkajs';
import { KafkaTimeoutConfig } from '../config/configuration';
import { KafkaSecurity } from '../config/kafka-security';
import '../kafka/kafkajs-idle-timer';
import { installKafkaAdapter } from '../kafka/kafka-adapter';

export interface KafkaConnection {
  brokers: string[];
  security?: KafkaSecurity;
  timeouts?: Pick<KafkaTimeoutConfig, 'connectionTimeoutMs' | 'requestTimeoutMs'>;
}

export type KafkaClientOptions = Pick<KafkaClientConfig, 'brokers' | 'ssl' | 'sasl' | 'connectionTimeout' | 'requestTimeout' | 'enforceRequestTimeout'>;

/**
 * The one place where the typed settings become kafkajs options: every client the service and its CLIs create
 * spreads this into `new Kafka({...})`. rejectUnauthorized is forced on, whatever else changes. It installs the
 * Kafka adapter (every codec, per-partition fetch decoding) before the first client exists.
 */
export function kafkaClientOptions({ brokers, security, timeouts }: KafkaConnection): KafkaClientOptions {
  installKafkaAdapter();
  const tls = security?.tls;
  const sasl = security?.sasl;
  return {
    brokers,
    ...(timeouts && { connectionTimeout: timeouts.connectionTimeoutMs, requestTimeout: timeouts.requestTimeoutMs, enforceRequestTimeout: true }),
    ...(tls && { ssl: { ...tls, rejectUnauthorized: true } }),
    ...(sasl && { sasl: { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as SASLOptions }),
  };
}
