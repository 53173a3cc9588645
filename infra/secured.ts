// A private, secured Kafka broker (KRaft, one SASL_SSL listener, SCRAM-SHA-512 users created at format time) and a
// private PostgreSQL (ssl=on, TLS-only pg_hba), both with certificates from a throwaway CA, for the transport
// security tests. Their ports are free ones picked at start and their data lives in a directory of their own:
// the shared broker on 9092 and PostgreSQL on 5432 are never touched.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { chownToPostgres, PrivatePostgres } from './postgres.ts';
import { freePort, InfraError, run, runAsync, sleep, STATE_DIR } from './common.ts';
import { KafkaBroker, kafkaServesGroups, stopChild } from './kafka.ts';

export const DATABASE = 'billing';
/** Hosts the server certificates name; 127.0.0.2 reaches the same PostgreSQL under a name its certificate lacks. */
export const CERTIFIED_HOST = '127.0.0.1';
export const UNCERTIFIED_HOST = '127.0.0.2';
const READY_TIMEOUT_MS = 90_000;

export interface Certificates {
  dir: string;
  ca: string;
  otherCa: string;
  cert: string;
  key: string;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** A CA, a server certificate it signed for 127.0.0.1 only, and a second CA that signed nothing the servers use. */
export function makeCertificates(dir: string): Certificates {
  fs.mkdirSync(dir, { recursive: true });
  const openssl = (args: string[]) => run('openssl', args, { cwd: dir });
  const ca = (name: string) =>
    openssl(['req', '-x509', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=billing test ${name}`]);
  ca('ca');
  ca('other-ca');
  openssl([
    'req',
    '-x509',
    ...EC_KEY,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-keyout',
    'server.key',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-subj',
    `/CN=${CERTIFIED_HOST}`,
    '-addext',
    `subjectAltName=IP:${CERTIFIED_HOST}`,
    '-addext',
    'basicConstraints=critical,CA:FALSE',
  ]);
  return { dir, ca: path.join(dir, 'ca.crt'), otherCa: path.join(dir, 'other-ca.crt'), cert: path.join(dir, 'server.crt'), key: path.join(dir, 'server.key') };
}

// ---------- Kafka ----------

const scramLogin = (user: string, password: string) =>
  `org.apache.kafka.common.security.scram.ScramLoginModule required username="${user}" password="${password}";`;

export class SecuredKafka {
  readonly broker: KafkaBroker;
  readonly certs: Certificates;
  /** SCRAM-SHA-512 name -> password; the first one is also the broker's own inter-broker identity. */
  readonly users: Record<string, string>;
  port = 0;
  private readonly storePassword = randomBytes(12).toString('hex');
  private child: ChildProcess | undefined;

  constructor(dir: string, certs: Certificates, users: Record<string, string>) {
    this.broker = new KafkaBroker(dir);
    this.certs = certs;
    this.users = users;
  }

  get brokers(): string[] {
    return [`${CERTIFIED_HOST}:${this.port}`];
  }

  private get admin(): [string, string] {
    return Object.entries(this.users)[0];
  }

  private get truststore(): string {
    return path.join(this.broker.dir, 'truststore.p12');
  }

  async prepare(): Promise<void> {
    this.port = await freePort();
    const controllerPort = await freePort();
    fs.mkdirSync(this.broker.dir, { recursive: true });
    const keystore = path.join(this.broker.dir, 'broker.p12');
    const { ca, cert, key } = this.certs;
    run('openssl', [
      'pkcs12',
      '-export',
      '-in',
      cert,
      '-inkey',
      key,
      '-certfile',
      ca,
      '-name',
      'broker',
      '-out',
      keystore,
      '-passout',
      `pass:${this.storePassword}`,
    ]);
    run('keytool', [
      '-importcert',
      '-noprompt',
      '-alias',
      'ca',
      '-file',
      ca,
      '-keystore',
      this.truststore,
      '-storetype',
      'PKCS12',
      '-storepass',
      this.storePassword,
    ]);
    this.broker.writeProperties({
      'controller.quorum.voters': `1@${CERTIFIED_HOST}:${controllerPort}`,
      listeners: `SASL_SSL://${CERTIFIED_HOST}:${this.port},CONTROLLER://${CERTIFIED_HOST}:${controllerPort}`,
      'advertised.listeners': `SASL_SSL://${CERTIFIED_HOST}:${this.port}`,
      'listener.security.protocol.map': 'SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name': 'SASL_SSL',
      'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
      'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
      'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': scramLogin(...this.admin),
      'ssl.keystore.type': 'PKCS12',
      'ssl.keystore.location': keystore,
      'ssl.keystore.password': this.storePassword,
      'ssl.truststore.type': 'PKCS12',
      'ssl.truststore.location': this.truststore,
      'ssl.truststore.password': this.storePassword,
    });
    const scram = Object.entries(this.users).flatMap(([name, password]) => ['--add-scram', `SCRAM-SHA-512=[name=${name},password=${password}]`]);
    await this.broker.format(scram);
  }

  async start(): Promise<void> {
    // -XX:TieredStopAtLevel=1 and a small heap: a test broker starts faster and leaves the CPUs to the tests.
    const child = this.broker.spawn(['-Xmx384m', '-Xms64m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1']);
    this.child = child;
    const [username, password] = this.admin;
    const client = {
      clientId: 'secured-probe',
      brokers: this.brokers,
      ssl: { ca: fs.readFileSync(this.certs.ca, 'utf8'), rejectUnauthorized: true },
      sasl: { mechanism: 'scram-sha-512' as const, username, password },
    };
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await kafkaServesGroups(client))) {
      if (child.exitCode !== null) throw new InfraError(`secured Kafka exited during startup:\n${this.broker.logTail()}`);
      if (Date.now() > deadline) throw new InfraError(`secured Kafka not ready within ${READY_TIMEOUT_MS / 1000} s`);
      await sleep(250);
    }
  }

  /** Changes a SCRAM user's password on the running broker (Kafka's own ConfigCommand, as the admin user). */
  async setPassword(user: string, password: string): Promise<void> {
    const config = path.join(this.broker.dir, 'admin-client.properties');
    fs.writeFileSync(
      config,
      [
        'security.protocol=SASL_SSL',
        'sasl.mechanism=SCRAM-SHA-512',
        `sasl.jaas.config=${scramLogin(...this.admin)}`,
        'ssl.truststore.type=PKCS12',
        `ssl.truststore.location=${this.truststore}`,
        `ssl.truststore.password=${this.storePassword}`,
        '',
      ].join('\n'),
    );
    await runAsync(
      'java',
      this.broker.javaArgs(
        'kafka.admin.ConfigCommand',
        '--bootstrap-server',
        this.brokers[0],
        '--command-config',
        config,
        '--alter',
        '--add-config',
        `SCRAM-SHA-512=[password=${password}]`,
        '--entity-type',
        'users',
        '--entity-name',
        user,
      ),
    );
  }

  /** Every client connection is dropped and has to log in again. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  stop(): Promise<void> {
    return stopChild(this.child, 'SIGTERM', 10_000);
  }
}

// ---------- PostgreSQL ----------

async function securedPostgres(certs: Certificates): Promise<PrivatePostgres> {
  const postgres = new PrivatePostgres({
    port: await freePort(),
    label: 'billing-secured-pg',
    listenAddresses: `${CERTIFIED_HOST},${UNCERTIFIED_HOST}`,
    serverOptions: '-c ssl=on -c fsync=off',
    prepare: (data) => {
      for (const [from, to] of [
        [certs.cert, 'server.crt'],
        [certs.key, 'server.key'],
      ]) {
        fs.copyFileSync(from, path.join(data, to));
        fs.chmodSync(path.join(data, to), 0o600);
        chownToPostgres(path.join(data, to));
      }
      // TLS only: a client that does not ask for it finds no pg_hba line and is refused.
      fs.writeFileSync(
        path.join(data, 'pg_hba.conf'),
        `local all all trust\nhostssl all all ${CERTIFIED_HOST}/32 trust\nhostssl all all ${UNCERTIFIED_HOST}/32 trust\n`,
      );
    },
  });
  try {
    await postgres.start();
    await postgres.createDatabase(DATABASE);
  } catch (error) {
    postgres.stop('immediate');
    postgres.remove();
    throw error;
  }
  return postgres;
}

// ---------- both ----------

export interface SecuredInfra {
  certs: Certificates;
  kafka: SecuredKafka;
  postgres: PrivatePostgres | undefined;
  users: Record<string, string>;
  stop(): Promise<void>;
}

/** Starts both servers side by side (about 10 s, most of it the JVM). Call stop() in a finally/afterAll. */
export async function startSecuredInfra(
  users: Record<string, string> = { admin: randomBytes(12).toString('hex'), billing: randomBytes(12).toString('hex') },
): Promise<SecuredInfra> {
  fs.mkdirSync(STATE_DIR, { recursive: true });
  const dir = fs.mkdtempSync(path.join(STATE_DIR, 'secured-'));
  const certs = makeCertificates(path.join(dir, 'certs'));
  const kafka = new SecuredKafka(path.join(dir, 'kafka'), certs, users);
  const infra: SecuredInfra = {
    certs,
    kafka,
    postgres: undefined,
    users,
    stop: async () => {
      await kafka.stop();
      infra.postgres?.stop('immediate');
      infra.postgres?.remove();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  const postgresStarted = securedPostgres(certs).then((postgres) => (infra.postgres = postgres));
  try {
    await Promise.all([kafka.prepare().then(() => kafka.start()), postgresStarted]);
  } catch (error) {
    await postgresStarted.catch(() => undefined);
    await infra.stop();
    throw error;
  }
  return infra;
}

/**
 * Run as a program (the tests do, from CommonJS): starts both, prints one JSON line of what clients need, and
 * removes everything when stdin closes or on SIGTERM/SIGINT, so a test runner that dies takes it along.
 * Then one JSON command a line, one answer line each: {"cmd":"set-password","user","password"} or {"cmd":"restart-kafka"}.
 */
async function serve(): Promise<void> {
  const infra = await startSecuredInfra();
  const { certs, kafka, postgres, users } = infra;
  process.stdout.write(`${JSON.stringify({ brokers: kafka.brokers, ca: certs.ca, otherCa: certs.otherCa, postgresPort: postgres?.port, users })}\n`);
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= infra.stop().then(() => process.exit(0)));
  for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => void stop());
  const commands: Record<string, (args: Record<string, string>) => Promise<void>> = {
    'set-password': ({ user, password }) => kafka.setPassword(user, password),
    'restart-kafka': () => kafka.restart(),
  };
  let queue = Promise.resolve();
  readline
    .createInterface({ input: process.stdin })
    .on('line', (line) => {
      queue = queue.then(async () => {
        const { cmd, ...args } = JSON.parse(line) as Record<string, string>;
        const answer = await commands[cmd](args).then(
          () => 'ok',
          (error: Error) => `error: ${error.message.split('\n')[0]}`,
        );
        process.stdout.write(`${answer}\n`);
      });
    })
    .on('close', () => void stop());
}

if (import.meta.main) {
  serve().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
}
