import { KafkaConfig as KafkaClientConfig, SASLOptions } from 'kafkajs';
import { KafkaSecurity } from '../config/kafka-security';
import '../kafka/kafkajs-idle-timer';
import { installKafkaAdapter } from '../kafka/kafka-adapter';

export interface KafkaConnection {
  brokers: string[];
  security?: KafkaSecurity;
}

export type KafkaClientOptions = Pick<KafkaClientConfig, 'brokers' | 'ssl' | 'sasl'>;

/**
 * The one place where the typed settings become kafkajs options: every client the service and its CLIs create
 * spreads this into `new Kafka({...})`. rejectUnauthorized is forced on, whatever else changes. It installs the
 * Kafka adapter (every codec, per-partition fetch decoding) before the first client exists.
 */
export function kafkaClientOptions({ brokers, security }: KafkaConnection): KafkaClientOptions {
  installKafkaAdapter();
  const tls = security?.tls;
  const sasl = security?.sasl;
  return {
    brokers,
    ...(tls && { ssl: { ...tls, rejectUnauthorized: true } }),
    ...(sasl && { sasl: { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as SASLOptions }),
  };
}
