import { EnvReader } from './env-reader';

import { PemFileName, ReadableName, SASL_MECHANISMS } from './config-table';
import { Fields } from './fields';

export { SASL_MECHANISMS } from './config-table';
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export interface KafkaSasl {
  mechanism: SaslMechanism;
  username: string;
  password: string;
}

/** PEM texts; without a CA the system trust store verifies the brokers. */
export interface KafkaTls {
  ca?: string;
  cert?: string;
  key?: string;
}

/** How every Kafka client of the service and its CLIs reaches the brokers. There is no way to skip verification. */
export class KafkaSecurity {
  declare readonly tls?: KafkaTls;
  declare readonly sasl?: KafkaSasl;

  constructor(fields: Fields<KafkaSecurity>) {
    Object.assign(this, fields);
  }

  /** A logged or serialised config must never carry the password or key. */
  toJSON(): object {
    return {
      tls: this.tls ? { ca: Boolean(this.tls.ca), clientCertificate: Boolean(this.tls.cert) } : false,
      sasl: this.sasl ? { mechanism: this.sasl.mechanism, username: this.sasl.username } : false,
    };
  }
}

export function readKafkaSecurity(env: EnvReader): KafkaSecurity {
  const ssl = env.boolean('KAFKA_SSL');
  const tls = { ca: env.pemFile('KAFKA_SSL_CA_FILE'), cert: env.pemFile('KAFKA_SSL_CERT_FILE'), key: env.pemFile('KAFKA_SSL_KEY_FILE') };
  for (const name of ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'] satisfies PemFileName[]) {
    env.check(name, ssl || !env.optionalString(name), 'needs KAFKA_SSL=true');
  }
  env.check(
    'KAFKA_SSL_KEY_FILE',
    Boolean(env.optionalString('KAFKA_SSL_CERT_FILE')) === Boolean(env.optionalString('KAFKA_SSL_KEY_FILE')),
    'and KAFKA_SSL_CERT_FILE must be given together',
  );
  return new KafkaSecurity({ tls: ssl ? tls : undefined, sasl: readSasl(env, ssl) });
}

function readSasl(env: EnvReader, ssl: boolean): KafkaSasl | undefined {
  if (!env.optionalString('KAFKA_SASL_MECHANISM')) {
    for (const name of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD', 'KAFKA_SASL_PASSWORD_FILE'] satisfies ReadableName[])
      env.check(name, !env.optionalString(name), 'needs KAFKA_SASL_MECHANISM');
    return undefined;
  }
  const mechanism = env.choice('KAFKA_SASL_MECHANISM');
  // PLAIN sends the password itself: only inside TLS.
  env.check('KAFKA_SASL_MECHANISM', mechanism !== 'plain' || ssl, 'plain sends the password in clear text; it needs KAFKA_SSL=true');
  const username = env.string('KAFKA_SASL_USERNAME');
  const password = env.secret('KAFKA_SASL_PASSWORD');
  return mechanism ? { mechanism, username, password } : undefined;
}
