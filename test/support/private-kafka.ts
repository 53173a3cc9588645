import { spawn } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { ISocketFactory } from 'kafkajs';
import { readLines } from './secured-infra';
import { FaultProxy } from './standalone/fault-proxy';
import { freePort } from './standalone/service-process';

export interface PrivateKafka {
  /** The broker's own listener (what it advertises is another port). */
  brokers: string[];
  stop(): Promise<void>;
}

/** A private single broker on `brokerPort` that advertises `advertisedPort` (infra/private-kafka.ts, in a child process). */
export async function startPrivateKafka(brokerPort: number, advertisedPort: number): Promise<PrivateKafka> {
  const args = [join(__dirname, '..', '..', 'infra', 'private-kafka.ts'), '--broker-port', String(brokerPort), '--advertised-port', String(advertisedPort)];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    child.stdin.end();
    await exited;
  };
  try {
    const { brokers } = JSON.parse(await readLines(child, 'private Kafka').next()) as { brokers: string[] };
    return { brokers, stop };
  } catch (error) {
    child.kill('SIGTERM');
    await exited;
    throw error;
  }
}

export interface ProxiedKafka {
  broker: PrivateKafka;
  /** What the broker advertises: every client that follows its metadata goes through it. */
  proxy: FaultProxy;
  /** The broker's own port, behind the proxy. */
  brokerPort: number;
  stop(): Promise<void>;
}

/** A private broker behind a FaultProxy, which is the address it advertises. */
export async function startPrivateKafkaBehindProxy(): Promise<ProxiedKafka> {
  const brokerPort = await freePort();
  const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: brokerPort }, maxLifetimeMs: 600_000 });
  try {
    const broker = await startPrivateKafka(brokerPort, proxy.port);
    return { broker, proxy, brokerPort, stop: () => broker.stop().finally(() => proxy.close()) };
  } catch (error) {
    await proxy.close();
    throw error;
  }
}

/** Connects to `to` where a broker's metadata says `from`: a client that bypasses the proxy the broker advertises. */
export function bypassing(from: number, to: number): ISocketFactory {
  return ({ host, port, onConnect }) => {
    const socket = net.connect({ host, port: port === from ? to : port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    return socket;
  };
}
