import { randomInt, randomUUID } from 'node:crypto';
import { Presets, SingleBar } from 'cli-progress';
import { cliKafkaDefaults } from '../config/cli-env';
import { brokersFlag, CliUsageError, integerFlag, parseFlags, rateFlag, runCli, textFlag } from './cli-args';
import { KafkaSecurity } from '../config/kafka-security';
import { CONFIG_TABLE } from '../config/config-table';
import { KafkaClient } from '../kafka/kafka-client';
import { OutgoingMessage } from '../kafka/kafka-producer';

export const PUBLISH_USAGE = `usage: npm run publish -- --count N [--tenants T] [--duplicate-rate R] [--poison-rate P] [--topic order.completed] [--brokers host:port,...]

  --count           distinct events (each becomes one invoice), 1 to 1000000
  --tenants         tenants the events are spread over (tenant-1 ... tenant-T), default 5
  --duplicate-rate  extra re-sends of already published events, as a fraction of --count (0.2 = 20%), default 0
  --poison-rate     extra poison messages (invalid JSON, negative total), as a fraction of --count, default 0
  --topic           default KAFKA_TOPIC or ${CONFIG_TABLE.KAFKA_TOPIC.default}
  --brokers         default KAFKA_BROKERS or ${CONFIG_TABLE.KAFKA_BROKERS.default}`;

export interface PublishOptions {
  count: number;
  tenants: number;
  duplicateRate: number;
  poisonRate: number;
  topic: string;
  brokers: string[];
  security?: KafkaSecurity;
}

export interface PublishSummary {
  topic: string;
  /** Messages sent: distinct + duplicates + poison. */
  events: number;
  distinct: number;
  duplicates: number;
  poison: number;
}

export type PlannedMessage = { kind: 'event' | 'duplicate' | 'poison'; key: string; value: string };

export function parsePublishArgs(argv: string[], defaults = cliKafkaDefaults()): PublishOptions {
  const flags = parseFlags(argv, {
    count: { type: 'string' },
    tenants: { type: 'string' },
    'duplicate-rate': { type: 'string' },
    'poison-rate': { type: 'string' },
    topic: { type: 'string' },
    brokers: { type: 'string' },
  });
  if (flags.count === undefined) throw new CliUsageError('--count is required');
  return {
    count: integerFlag('count', flags.count, 0, 1, 1_000_000),
    tenants: integerFlag('tenants', flags.tenants, 5, 1, 10_000),
    duplicateRate: rateFlag('duplicate-rate', flags['duplicate-rate']),
    poisonRate: rateFlag('poison-rate', flags['poison-rate']),
    topic: textFlag('topic', flags.topic, defaults.topic),
    brokers: brokersFlag(textFlag('brokers', flags.brokers, defaults.brokers)),
    security: defaults.security,
  };
}

function randomAmount(): string {
  return `${randomInt(1, 1000)}.${String(randomInt(0, 100)).padStart(2, '0')}`;
}

function poisonMessage(index: number, tenant: string): PlannedMessage {
  const orderId = `order-${randomUUID()}`;
  const value =
    index % 2 === 0
      ? `{"event_id": "${randomUUID()}", "order_id": "${orderId}", "tenant_id": "${tenant}", "total": ` // truncated JSON
      : JSON.stringify({ event_id: randomUUID(), order_id: orderId, tenant_id: tenant, total: '-1.00', currency: 'USD' });
  return { kind: 'poison', key: orderId, value };
}

/**
 * Distinct events in order; each duplicate somewhere after its original (same key, so the same partition
 * delivers it later, as a redelivery would); poison anywhere.
 */
export function planMessages(options: Pick<PublishOptions, 'count' | 'tenants' | 'duplicateRate' | 'poisonRate'>): PlannedMessage[] {
  const tenantOf = (i: number) => `tenant-${(i % options.tenants) + 1}`;
  const placed: { position: number; message: PlannedMessage }[] = [];
  const events: PlannedMessage[] = Array.from({ length: options.count }, (_, i) => {
    const orderId = `order-${randomUUID()}`;
    const event = {
      event_id: randomUUID(),
      order_id: orderId,
      tenant_id: tenantOf(i),
      total: randomAmount(),
      currency: 'USD',
      occurred_at: new Date().toISOString(),
    };
    const message: PlannedMessage = { kind: 'event', key: orderId, value: JSON.stringify(event) };
    placed.push({ position: i, message });
    return message;
  });
  for (let d = 0; d < Math.round(options.count * options.duplicateRate); d++) {
    const source = randomInt(0, options.count);
    placed.push({ position: source + 0.5 + Math.random() * (options.count - source), message: { ...events[source], kind: 'duplicate' } });
  }
  for (let p = 0; p < Math.round(options.count * options.poisonRate); p++) {
    placed.push({ position: Math.random() * options.count, message: poisonMessage(p, tenantOf(p)) });
  }
  return placed.sort((a, b) => a.position - b.position).map((p) => p.message);
}

export interface PublishHooks {
  onProgress?: (sent: number, total: number) => void;
}

const CHUNK = 500;

/** Sends the plan with an idempotent producer (a retried send is not written twice), key = order id. */
export async function publishEvents(options: PublishOptions, hooks: PublishHooks = {}): Promise<PublishSummary> {
  const plan = planMessages(options);
  const producer = new KafkaClient(options, { clientId: 'billing-publish-cli', logLevel: 'warn' }).producer();
  await producer.connect();
  try {
    for (let start = 0; start < plan.length; start += CHUNK) {
      const messages: OutgoingMessage[] = plan.slice(start, start + CHUNK).map(({ key, value }) => ({ key, value }));
      await producer.send({ topic: options.topic, acks: -1, messages });
      hooks.onProgress?.(Math.min(start + CHUNK, plan.length), plan.length);
    }
  } finally {
    await producer.disconnect();
  }
  const count = (kind: PlannedMessage['kind']) => plan.filter((m) => m.kind === kind).length;
  return { topic: options.topic, events: plan.length, distinct: count('event'), duplicates: count('duplicate'), poison: count('poison') };
}

export function formatPublishSummary(s: PublishSummary): string {
  return `published ${s.events} messages to ${s.topic}: ${s.distinct} distinct events, ${s.duplicates} duplicates, ${s.poison} poison`;
}

async function main(): Promise<void> {
  const options = parsePublishArgs(process.argv.slice(2));
  const bar = new SingleBar({ format: 'publishing [{bar}] {value}/{total} messages', stream: process.stderr }, Presets.shades_classic);
  let started = false;
  const summary = await publishEvents(options, {
    onProgress: (sent, total) => {
      if (!started) bar.start(total, 0);
      started = true;
      bar.update(sent);
    },
  }).finally(() => bar.stop());
  console.log(formatPublishSummary(summary));
}

if (require.main === module) runCli(main, PUBLISH_USAGE);
