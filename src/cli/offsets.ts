import { DataSource } from 'typeorm';
import { loadReconcileEnv } from '../config/cli-env';
import { Env } from '../config/env-reader';
import { ConsumerOffsetsRepository, PartitionOffset } from '../consumer-offsets/consumer-offsets.repository';
import { dataSourceOptions } from '../database/data-source-options';
import { TransactionRunner } from '../database/transaction-runner';
import { KafkaAdmin } from '../kafka/kafka-admin';
import { KafkaClient } from '../kafka/kafka-client';
import { brokersFlag, CliUsageError, parseFlags, runCli, textFlag } from './cli-args';

const USAGE = `usage: npm run offsets -- show [--group G] [--topic T] [--brokers B]
       npm run offsets -- move --partition <N|all> --to <offset|earliest|latest|kafka> [--dry-run] [--force] [--group G] [--topic T]

  show   per partition: the offset stored with the data (where the service resumes), the group's committed offset in
         Kafka, and the log start and end; "GAP" where the stored offset is below the log start (events lost to retention)
  move   sets the stored offset deliberately (backwards too): a number, the log start (earliest), the log end (latest),
         or the group's committed offset in Kafka (kafka). The service applies it at its next partition assignment, so
         stop the service first; a running group is refused unless --force. --dry-run prints the plan and changes nothing.
DATABASE_URL, KAFKA_BROKERS, KAFKA_TOPIC and KAFKA_GROUP_ID are read as the service reads them.`;

interface PartitionView {
  partition: number;
  stored?: string;
  committed?: string;
  logStart: string;
  logEnd: string;
}

/** Runs `show` or `move` and writes its report line by line. */
export async function offsetsCommand(argv: string[], print: (line: string) => void = console.log, rawEnv?: Env): Promise<void> {
  const [command, ...rest] = argv;
  if (command !== 'show' && command !== 'move') throw new CliUsageError('the first argument must be show or move');
  const flags = parseFlags(rest, {
    group: { type: 'string' },
    topic: { type: 'string' },
    brokers: { type: 'string' },
    partition: { type: 'string' },
    to: { type: 'string' },
    'dry-run': { type: 'boolean' },
    force: { type: 'boolean' },
  });
  const env = loadReconcileEnv(rawEnv);
  const groupId = textFlag('group', flags.group, env.groupId);
  const topic = textFlag('topic', flags.topic, env.topic);
  const brokers = brokersFlag(textFlag('brokers', flags.brokers, env.brokers));
  const admin = new KafkaClient({ brokers, security: env.security }, { clientId: 'billing-offsets-cli', logLevel: 'nothing' }).admin();
  const dataSource = new DataSource(dataSourceOptions(env.databaseUrl));
  await Promise.all([admin.connect(), dataSource.initialize()]);
  try {
    const repository = new ConsumerOffsetsRepository(new TransactionRunner(dataSource));
    const views = await viewPartitions(admin, repository, groupId, topic);
    if (command === 'show') return printViews(groupId, topic, views, print);
    if (flags.force !== true && (await admin.hasRunningMembers(groupId)))
      throw new CliUsageError(`group ${groupId} has running members: stop the service first, or pass --force`);
    const plan = planMove(views, textFlag('partition', flags.partition, ''), textFlag('to', flags.to, ''));
    for (const move of plan) print(`${topic}[${move.partition}] stored ${move.from ?? '-'} -> ${move.to}${flags['dry-run'] ? ' (dry run)' : ''}`);
    if (flags['dry-run'] !== true) for (const move of plan) await repository.set(groupId, { topic, partition: move.partition, nextOffset: move.to });
  } finally {
    await Promise.all([admin.disconnect(), dataSource.destroy()]);
  }
}

async function viewPartitions(admin: KafkaAdmin, repository: ConsumerOffsetsRepository, groupId: string, topic: string): Promise<PartitionView[]> {
  // Asked for a topic it does not know, kafkajs retries for minutes and answers with the broker's code name.
  if (!(await admin.listTopics()).includes(topic)) throw new Error(`topic ${topic} does not exist`);
  const [ends, committed, stored] = await Promise.all([admin.topicOffsets(topic), admin.committedOffsets(groupId, topic), repository.find(groupId, [topic])]);
  const storedBy = new Map(stored.map((o: PartitionOffset) => [o.partition, o.nextOffset]));
  const committedBy = new Map(committed.filter((p) => Number(p.offset) >= 0).map((p) => [p.partition, p.offset]));
  return ends
    .map((p) => ({ partition: p.partition, stored: storedBy.get(p.partition), committed: committedBy.get(p.partition), logStart: p.low, logEnd: p.high }))
    .sort((a, b) => a.partition - b.partition);
}

function printViews(groupId: string, topic: string, views: PartitionView[], print: (line: string) => void): void {
  print(`group ${groupId}, topic ${topic}`);
  print(['partition', 'stored', 'kafka committed', 'log start', 'log end', ''].map((h) => h.padEnd(16)).join(''));
  for (const v of views) {
    const note =
      v.stored !== undefined && BigInt(v.stored) < BigInt(v.logStart)
        ? 'GAP: events lost to retention'
        : v.stored === undefined
          ? 'none stored: resumes at the Kafka offset'
          : '';
    print([String(v.partition), v.stored ?? '-', v.committed ?? '-', v.logStart, v.logEnd, note].map((c) => c.padEnd(16)).join(''));
  }
}

function planMove(views: PartitionView[], partitionFlag: string, toFlag: string): { partition: number; from?: string; to: string }[] {
  const chosen = partitionFlag === 'all' ? views : views.filter((v) => String(v.partition) === partitionFlag);
  if (chosen.length === 0) throw new CliUsageError(`--partition must be a partition of the topic or "all", got "${partitionFlag}"`);
  return chosen.map((v) => ({ partition: v.partition, from: v.stored, to: target(v, toFlag) }));
}

function target(view: PartitionView, to: string): string {
  if (to === 'earliest') return view.logStart;
  if (to === 'latest') return view.logEnd;
  if (to === 'kafka') {
    if (view.committed === undefined) throw new CliUsageError(`partition ${view.partition} has no committed offset in Kafka`);
    return view.committed;
  }
  if (!/^\d{1,19}$/.test(to)) throw new CliUsageError(`--to must be an offset, earliest, latest or kafka, got "${to}"`);
  return to;
}

if (require.main === module) runCli(() => offsetsCommand(process.argv.slice(2)), USAGE);
