import { KafkaConfig as KafkaClientConfig, SASLOptions } from 'kafkajs';
import './kafkajs-idle-timer';
import { installKafkaAdapter } from './kafka-adapter';

/** How a client reaches the brokers, as the typed settings say it (structurally: config/ depends on this folder). */
export interface KafkaConnection {
  brokers: string[];
  security?: {
    tls?: { ca?: string; cert?: string; key?: string };
    sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  };
  timeouts?: { connectionTimeoutMs: number; requestTimeoutMs: number };
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
