import { spawn } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { ISocketFactory } from 'kafkajs';
import { readLines } from './secured-infra';

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

/** Connects to `to` where a broker's metadata says `from`: a client that bypasses the proxy the broker advertises. */
export function bypassing(from: number, to: number): ISocketFactory {
  return ({ host, port, onConnect }) => {
    const socket = net.connect({ host, port: port === from ? to : port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    return socket;
  };
}
