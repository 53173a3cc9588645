#!/usr/bin/env node
// Usage: node scripts/infra.mjs up | down [--purge] | status | restart-kafka
import { ensureInfra, InfraError, kafkaStatus, restartKafka, stopKafka } from './infra-lib.mjs';

const [command, ...flags] = process.argv.slice(2);

const commands = {
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
};

if (!commands[command]) {
  console.error('Usage: node scripts/infra.mjs up | down [--purge] | status | restart-kafka');
  process.exit(2);
}
try {
  await commands[command]();
} catch (err) {
  console.error(`[infra] ${err instanceof InfraError ? err.message : (err.stack ?? err)}`);
  process.exit(1);
}
