import { ChildProcessByStdio, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';

export interface SecuredInfraInfo {
  brokers: string[];
  /** PEM of the throwaway CA that signed both servers' certificates, and of one that signed nothing they use. */
  ca: string;
  otherCa: string;
  postgresPort: number;
  /** SCRAM-SHA-512 users created when the broker's storage was formatted. */
  users: Record<string, string>;
}

export interface SecuredInfra extends SecuredInfraInfo {
  databaseUrl(options?: { host?: string; sslmode?: string; ca?: string }): string;
  /** Changes a SCRAM-SHA-512 user's password on the running broker. */
  setPassword(user: string, password: string): Promise<void>;
  /** Stops and starts the broker: every client has to connect and log in again. */
  restartKafka(): Promise<void>;
  stop(): Promise<void>;
}

/** A private SASL_SSL broker and TLS-only PostgreSQL (infra/secured.ts) in a child process of this test. */
export async function startSecuredInfra(): Promise<SecuredInfra> {
  const child = spawn(process.execPath, [join(__dirname, '..', '..', 'infra', 'secured.ts')], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines = readLines(child, 'secured infrastructure');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let info: SecuredInfraInfo;
  try {
    info = JSON.parse(await lines.next()) as SecuredInfraInfo;
  } catch (error) {
    // Never leave the private broker and database running behind a failed start: jest would wait for them forever.
    child.kill('SIGTERM');
    await exited;
    throw error;
  }
  const command = async (cmd: Record<string, string>) => {
    child.stdin.write(`${JSON.stringify(cmd)}\n`);
    const answer = await lines.next();
    if (answer !== 'ok') throw new Error(`secured infrastructure: ${answer}`);
  };
  return {
    ...info,
    databaseUrl: ({ host = '127.0.0.1', sslmode = 'verify-full', ca = info.ca } = {}) =>
      `postgres://postgres@${host}:${info.postgresPort}/billing?sslmode=${sslmode}&sslrootcert=${encodeURIComponent(ca)}`,
    setPassword: (user, password) => command({ cmd: 'set-password', user, password }),
    restartKafka: () => command({ cmd: 'restart-kafka' }),
    stop: async () => {
      child.stdin.end();
      await exited;
    },
  };
}

/** The child's stdout, a line at a time; its exit fails whoever waits for a line. */
export function readLines(child: ChildProcessByStdio<Writable, Readable, Readable>, what: string): { next(): Promise<string> } {
  let out = '';
  let err = '';
  let waiting: { resolve: (line: string) => void; reject: (error: Error) => void } | undefined;
  const deliver = () => {
    let end = out.indexOf('\n');
    // The infrastructure library's progress lines ("[infra] resolving Kafka jars…" on a fresh clone) are not answers.
    while (end >= 0 && out.startsWith('[infra]')) {
      out = out.slice(end + 1);
      end = out.indexOf('\n');
    }
    if (end < 0 || !waiting) return;
    const line = out.slice(0, end);
    out = out.slice(end + 1);
    const { resolve } = waiting;
    waiting = undefined;
    resolve(line);
  };
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout.on('data', (d: Buffer) => ((out += d.toString()), deliver()));
  child.once('close', (code) => waiting?.reject(new Error(`${what} exited (${code}):\n${err}`)));
  return {
    next: () =>
      new Promise((resolve, reject) => {
        waiting = { resolve, reject };
        deliver();
      }),
  };
}
