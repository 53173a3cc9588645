// A private, secured Kafka broker (KRaft, one SASL_SSL listener, SCRAM-SHA-512 users created at format time) and a
// private PostgreSQL (ssl=on, TLS-only pg_hba), both with certificates from a throwaway CA, for the transport
// security tests. Their ports are free ones picked at start and their data lives in a directory of their own:
// the shared broker on 9092 and PostgreSQL on 5432 are never touched.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { clusterId, InfraError, kafkaClasspath, postgresBinDir, runAsPostgres } from './infra-lib.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const KAFKA_SRC = path.join(ROOT, 'infra', 'kafka');
const READY_TIMEOUT_MS = 90_000;
export const DATABASE = 'billing';
/** Hosts the server certificates name; 127.0.0.2 reaches the same PostgreSQL under a name its certificate lacks. */
export const CERTIFIED_HOST = '127.0.0.1';
export const UNCERTIFIED_HOST = '127.0.0.2';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.error?.code === 'ENOENT') throw new InfraError(`'${cmd}' not found on PATH`);
  if (r.status !== 0) throw new InfraError(`${cmd} ${args[0]} failed (${r.status}):\n${r.stdout}${r.stderr}`);
}

/** Like spawnSync, but lets the other server start meanwhile (JVM start-up is the slow part). */
function runAsync(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new InfraError(`${path.basename(cmd)} exited ${code}:\n${output}`))));
  });
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** A CA, a server certificate it signed for 127.0.0.1 only, and a second CA that signed nothing the servers use. */
export function makeCertificates(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const ca = (name) => run('openssl', ['req', '-x509', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=billing test ${name}`], dir);
  ca('ca');
  ca('other-ca');
  run('openssl', ['req', '-x509', ...EC_KEY, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-keyout', 'server.key', '-out', 'server.crt', '-days', '2',
    '-subj', `/CN=${CERTIFIED_HOST}`, '-addext', `subjectAltName=IP:${CERTIFIED_HOST}`, '-addext', 'basicConstraints=critical,CA:FALSE'], dir);
  return { dir, ca: path.join(dir, 'ca.crt'), otherCa: path.join(dir, 'other-ca.crt'), cert: path.join(dir, 'server.crt'), key: path.join(dir, 'server.key') };
}

// ---------- Kafka ----------

export class SecuredKafka {
  constructor(dir, certs, users) {
    Object.assign(this, { dir, certs, users, logs: path.join(dir, 'logs') });
  }

  get brokers() {
    return [`${CERTIFIED_HOST}:${this.port}`];
  }

  async prepare() {
    [this.port, this.controllerPort] = [await freePort(), await freePort()];
    fs.mkdirSync(this.logs, { recursive: true });
    this.storePassword = randomBytes(12).toString('hex');
    const keystore = path.join(this.dir, 'broker.p12');
    run('openssl', ['pkcs12', '-export', '-in', this.certs.cert, '-inkey', this.certs.key, '-certfile', this.certs.ca, '-name', 'broker', '-out', keystore, '-passout', `pass:${this.storePassword}`], this.dir);
    const truststore = path.join(this.dir, 'truststore.p12');
    run('keytool', ['-importcert', '-noprompt', '-alias', 'ca', '-file', this.certs.ca, '-keystore', truststore, '-storetype', 'PKCS12', '-storepass', this.storePassword], this.dir);
    this.props = path.join(this.dir, 'server.properties');
    fs.writeFileSync(this.props, this.properties(keystore, truststore));
    this.cp = kafkaClasspath();
    const scram = Object.entries(this.users).flatMap(([name, password]) => ['--add-scram', `SCRAM-SHA-512=[name=${name},password=${password}]`]);
    await runAsync('java', this.javaArgs('kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', this.props, ...scram));
  }

  properties(keystore, truststore) {
    const [admin, adminPassword] = Object.entries(this.users)[0];
    const base = fs.readFileSync(path.join(KAFKA_SRC, 'server.properties'), 'utf8').split('\n').filter((l) => !/^(listeners|advertised\.listeners|listener\.security\.protocol\.map|inter\.broker\.listener\.name|controller\.quorum\.voters)=/.test(l));
    return [
      ...base,
      `controller.quorum.voters=1@${CERTIFIED_HOST}:${this.controllerPort}`,
      `listeners=SASL_SSL://${CERTIFIED_HOST}:${this.port},CONTROLLER://${CERTIFIED_HOST}:${this.controllerPort}`,
      `advertised.listeners=SASL_SSL://${CERTIFIED_HOST}:${this.port}`,
      'listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name=SASL_SSL',
      'sasl.enabled.mechanisms=SCRAM-SHA-512',
      'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
      `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${admin}" password="${adminPassword}";`,
      'ssl.keystore.type=PKCS12',
      `ssl.keystore.location=${keystore}`,
      `ssl.keystore.password=${this.storePassword}`,
      'ssl.truststore.type=PKCS12',
      `ssl.truststore.location=${truststore}`,
      `ssl.truststore.password=${this.storePassword}`,
      `log.dirs=${path.join(this.dir, 'data')}`,
      '',
    ].join('\n');
  }

  javaArgs(mainClass, ...args) {
    return ['-cp', this.cp, `-Dlog4j.configuration=file:${path.join(KAFKA_SRC, 'log4j.properties')}`, `-Dkafka.logs.dir=${this.logs}`, '-Djava.awt.headless=true', mainClass, ...args];
  }

  async start() {
    const out = fs.openSync(path.join(this.logs, 'kafka.out'), 'a');
    // -XX:TieredStopAtLevel=1 and a small heap: a test broker starts faster and leaves the CPUs to the tests.
    this.child = spawn('java', ['-Xmx384m', '-Xms64m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', ...this.javaArgs('kafka.Kafka', this.props)], { stdio: ['ignore', out, out] });
    fs.closeSync(out);
    const [user, password] = Object.entries(this.users)[0];
    const deadline = Date.now() + READY_TIMEOUT_MS;
    const ready = () => this.withAdmin(user, password, async (admin) => (await admin.describeCluster(), await admin.fetchOffsets({ groupId: 'secured-infra-warm-up' }), true)).catch(() => false);
    while (!(await ready())) {
      if (this.child.exitCode !== null) throw new InfraError(`secured Kafka exited during startup:\n${tail(path.join(this.logs, 'server.log'))}`);
      if (Date.now() > deadline) throw new InfraError(`secured Kafka not ready within ${READY_TIMEOUT_MS / 1000} s`);
      await sleep(250);
    }
  }

  /** Ready means a group coordinator too: on a fresh broker it appears only once the offsets topic exists. */
  async withAdmin(username, password, work) {
    const kafka = new kafkajs.Kafka({
      clientId: 'secured-probe',
      brokers: this.brokers,
      ssl: { ca: fs.readFileSync(this.certs.ca, 'utf8'), rejectUnauthorized: true },
      sasl: { mechanism: 'scram-sha-512', username, password },
      connectionTimeout: 2000,
      requestTimeout: 2000,
      retry: { retries: 0 },
      logLevel: kafkajs.logLevel.NOTHING,
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      return await work(admin);
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  /** Changes a SCRAM user's password on the running broker (Kafka's own ConfigCommand, as the admin user). */
  async setPassword(user, password) {
    const [admin, adminPassword] = Object.entries(this.users)[0];
    const config = path.join(this.dir, 'admin-client.properties');
    fs.writeFileSync(config, [
      'security.protocol=SASL_SSL',
      'sasl.mechanism=SCRAM-SHA-512',
      `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${admin}" password="${adminPassword}";`,
      'ssl.truststore.type=PKCS12',
      `ssl.truststore.location=${path.join(this.dir, 'truststore.p12')}`,
      `ssl.truststore.password=${this.storePassword}`,
      '',
    ].join('\n'));
    await runAsync('java', this.javaArgs('kafka.admin.ConfigCommand', '--bootstrap-server', this.brokers[0], '--command-config', config,
      '--alter', '--add-config', `SCRAM-SHA-512=[password=${password}]`, '--entity-type', 'users', '--entity-name', user));
  }

  /** Every client connection is dropped and has to log in again. */
  async restart() {
    await this.stop();
    await this.start();
  }

  async stop() {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

function tail(file, lines = 30) {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log)';
}

// ---------- PostgreSQL ----------

export class SecuredPostgres {
  constructor(certs) {
    this.certs = certs;
  }

  url(host = CERTIFIED_HOST, sslmode = 'verify-full', ca = this.certs.ca) {
    return `postgres://postgres@${host}:${this.port}/${DATABASE}?sslmode=${sslmode}&sslrootcert=${encodeURIComponent(ca)}`;
  }

  async start() {
    this.port = await freePort();
    this.bin = postgresBinDir();
    // Under /tmp: the postgres OS user may not be allowed into the checkout.
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'billing-secured-pg-'));
    const data = path.join(this.dir, 'data');
    if (process.getuid?.() === 0) spawnSync('chown', ['-R', 'postgres:postgres', this.dir]);
    runAsPostgres(path.join(this.bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
    for (const [from, to] of [[this.certs.cert, 'server.crt'], [this.certs.key, 'server.key']]) {
      fs.copyFileSync(from, path.join(data, to));
      fs.chmodSync(path.join(data, to), 0o600);
      if (process.getuid?.() === 0) spawnSync('chown', ['postgres:postgres', path.join(data, to)]);
    }
    // TLS only: a client that does not ask for it finds no pg_hba line and is refused.
    fs.writeFileSync(path.join(data, 'pg_hba.conf'), `local all all trust\nhostssl all all ${CERTIFIED_HOST}/32 trust\nhostssl all all ${UNCERTIFIED_HOST}/32 trust\n`);
    runAsPostgres(path.join(this.bin, 'pg_ctl'), [
      'start', '-D', data, '-l', path.join(this.dir, 'postgres.log'), '-w', '-t', '60',
      '-o', `-p ${this.port} -c listen_addresses=${CERTIFIED_HOST},${UNCERTIFIED_HOST} -k ${this.dir} -c ssl=on -c fsync=off`,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    const client = new pg.Client({ host: this.dir, port: this.port, user: 'postgres', database: 'postgres' });
    await client.connect();
    try {
      await client.query(`create database ${DATABASE}`);
    } finally {
      await client.end();
    }
  }

  stop() {
    if (this.dir && fs.existsSync(path.join(this.dir, 'data', 'postmaster.pid'))) {
      runAsPostgres(path.join(this.bin, 'pg_ctl'), ['stop', '-D', path.join(this.dir, 'data'), '-m', 'immediate', '-w', '-t', '60'], { stdio: ['ignore', 'pipe', 'pipe'] });
    }
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// ---------- both ----------

/**
 * Starts both servers side by side (about 10 s, most of it the JVM). users: SCRAM-SHA-512 name -> password;
 * the first one is also the broker's own inter-broker identity. Call stop() in a finally/afterAll.
 */
export async function startSecuredInfra({ users = { admin: randomBytes(12).toString('hex'), billing: randomBytes(12).toString('hex') } } = {}) {
  fs.mkdirSync(path.join(ROOT, '.infra'), { recursive: true });
  const dir = fs.mkdtempSync(path.join(ROOT, '.infra', 'secured-'));
  const certs = makeCertificates(path.join(dir, 'certs'));
  const kafka = new SecuredKafka(path.join(dir, 'kafka'), certs, users);
  const postgres = new SecuredPostgres(certs);
  const stop = async () => {
    await kafka.stop();
    postgres.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all([kafka.prepare().then(() => kafka.start()), postgres.start()]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { certs, kafka, postgres, users, stop };
}

/**
 * Run as a program (the tests do, from CommonJS): starts both, prints one JSON line of what clients need, and
 * removes everything when stdin closes or on SIGTERM/SIGINT, so a test runner that dies takes it along.
 */
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  startSecuredInfra().then((infra) => {
    const { certs, kafka, postgres, users } = infra;
    process.stdout.write(`${JSON.stringify({ brokers: kafka.brokers, ca: certs.ca, otherCa: certs.otherCa, postgresPort: postgres.port, users })}\n`);
    let stopping;
    const stop = () => (stopping ??= infra.stop().then(() => process.exit(0)));
    for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, stop);
    // One JSON command a line, one answer line each: {"cmd":"set-password","user","password"} or {"cmd":"restart-kafka"}.
    const commands = { 'set-password': ({ user, password }) => kafka.setPassword(user, password), 'restart-kafka': () => kafka.restart() };
    let queue = Promise.resolve();
    readline.createInterface({ input: process.stdin }).on('line', (line) => {
      queue = queue.then(async () => {
        const { cmd, ...args } = JSON.parse(line);
        const answer = await commands[cmd](args).then(() => 'ok', (error) => `error: ${error.message.split('\n')[0]}`);
        process.stdout.write(`${answer}\n`);
      });
    }).on('close', stop);
  }, (error) => {
    console.error(error.message);
    process.exit(1);
  });
}
