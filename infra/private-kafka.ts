// A private single-node Kafka for one test file, whose broker advertises another port (the FaultProxy in front of
// it), so the test can cut the service off from its broker. Run as a program from the CommonJS tests.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { freePort, STATE_DIR } from './common.ts';
import { PrivateKafkaCluster } from './kafka.ts';

function portArgument(name: string): number {
  const i = process.argv.indexOf(name);
  const port = Number(process.argv[i + 1]);
  if (i < 0 || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${name} <port> is required`);
  return port;
}

/**
 * `node infra/private-kafka.ts --broker-port P --advertised-port Q`: starts the broker on P advertising Q, prints one
 * JSON line ({"brokers":["127.0.0.1:P"]}) once it answers, and removes everything when stdin closes or on SIGTERM.
 */
async function serve(): Promise<void> {
  const brokerPort = portArgument('--broker-port');
  const advertisedPort = portArgument('--advertised-port');
  const dir = path.join(STATE_DIR, 'private-kafka', String(process.pid));
  const node = { id: 1, brokerPort, advertisedPort, controllerPort: await freePort(), internalPort: await freePort() };
  const cluster = new PrivateKafkaCluster(dir, [node]);
  let stopping: Promise<void> | undefined;
  const stop = (code: number) =>
    (stopping ??= cluster
      .stop('SIGKILL')
      .then(() => fs.rmSync(dir, { recursive: true, force: true }))
      .then(() => process.exit(code)));
  for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => void stop(0));
  readline.createInterface({ input: process.stdin }).on('close', () => void stop(0));
  try {
    await cluster.start();
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    await stop(1);
  }
  process.stdout.write(`${JSON.stringify({ brokers: [`127.0.0.1:${brokerPort}`] })}\n`);
}

if (import.meta.main) {
  serve().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
}
