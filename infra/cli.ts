// Usage: node infra/cli.ts up | down [--purge] | status | restart-kafka | kcat   (npm run infra:up / infra:down)
import { InfraError } from './common.ts';
import { ensureKcat } from './kcat.ts';
import { ensureInfra, kafkaStatus, restartKafka, stopKafka } from './local.ts';

const [command, ...flags] = process.argv.slice(2);

const commands: Record<string, () => Promise<void>> = {
  async up() {
    const t0 = Date.now();
    const { started, pid } = await ensureInfra();
    const how = started ? `started (pid ${pid})` : pid ? `already running (pid ${pid})` : 'already answering';
    console.log(`[infra] PostgreSQL ready; Kafka ${how}; took ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  },
  async down() {
    const { stopped } = await stopKafka({ purge: flags.includes('--purge') });
    console.log(`[infra] Kafka ${stopped ? 'stopped' : 'was not running'}`);
  },
  async status() {
    const { pid, ready } = await kafkaStatus();
    console.log(`[infra] Kafka: ${ready ? 'ready' : 'not answering'}${pid ? ` (pid ${pid})` : ''}`);
    process.exitCode = ready ? 0 : 1;
  },
  async 'restart-kafka'() {
    const { pid } = await restartKafka();
    console.log(`[infra] Kafka restarted (pid ${pid})`);
  },
  /** The tests' other Kafka client (librdkafka); installed with apt-get when missing. */
  kcat() {
    console.log(`[infra] ${ensureKcat()}`);
    return Promise.resolve();
  },
};

const action = command === undefined ? undefined : commands[command];
if (!action) {
  console.error('Usage: node infra/cli.ts up | down [--purge] | status | restart-kafka | kcat');
  process.exit(2);
}
try {
  await action();
} catch (error) {
  console.error(`[infra] ${error instanceof InfraError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
}
