import { open } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { Presets, SingleBar } from 'cli-progress';
import { DataSource } from 'typeorm';
import { Env } from '../config/env-reader';
import { loadReconcileEnv, ReconcileEnv } from '../config/cli-env';
import { connectionBounds, dataSourceOptions } from '../database/data-source-options';
import { OrderEventParser } from '../order-events/order-event.parser';
import { parseRangeBound, RangeBoundError } from '../reconcile/range-bound';
import { ReconcileSummary } from '../reconcile/reconcile-report';
import { ProgressHandler, ReconcileOptions, Reconciler } from '../reconcile/reconciler';
import { createSink, formatSummary, REPORT_FORMATS, ReportFormat } from '../reconcile/report-sinks';
import { brokersFlag, CliUsageError, integerFlag, parseFlags, runCli, textFlag } from './cli-args';
import { CONFIG_TABLE } from '../config/config-table';
import { KafkaClient } from '../kafka/kafka-client';

export const RECONCILE_USAGE = `usage: npm run reconcile -- --from <instant|offsets> --to <instant|offsets> [--topic order.completed] [--format table|json|csv] [--out FILE]

  --from, --to        an ISO 8601 instant with a zone (2026-11-24T00:00:00Z; a date alone is its UTC midnight), found
                      through Kafka's offset-for-time lookup, or offsets per partition (0:100,1:250); a partition left
                      out runs from its first offset (--from) or to its end (--to). --to is exclusive.
  --topic             default KAFKA_TOPIC or ${CONFIG_TABLE.KAFKA_TOPIC.default}
  --dlt               default KAFKA_DLT_TOPIC or <topic>.dlt
  --group             the service's consumer group (its offsets stored in consumer_offsets mark what is pending), default KAFKA_GROUP_ID
  --format            table (summary and problems, default), json or csv (every message and orphan invoice)
  --out               write the report to FILE (the summary still goes to the terminal)
  --lookback-minutes  messages this long before the range are read to explain invoices created early in it, default 60
  --brokers           default KAFKA_BROKERS or ${CONFIG_TABLE.KAFKA_BROKERS.default}
  --idle-timeout-ms   fail when no message arrives for this long before the end of the range, default 30000

Exit code: 0 when every message and every invoice of the range is accounted for, 2 when something is unexplained or
an invoice is an orphan, 64 for a bad command line, 1 when the run itself failed. DATABASE_URL and
BILLING_DEFAULT_CURRENCY are read as the service reads them.`;

export const EXIT_NOT_BALANCED = 2;

export interface ReconcileCommand extends ReconcileOptions {
  brokers: string[];
  format: ReportFormat;
  out?: string;
}

export function parseReconcileArgs(argv: string[], env: ReconcileEnv): ReconcileCommand {
  const names = ['from', 'to', 'topic', 'dlt', 'group', 'format', 'out', 'lookback-minutes', 'brokers', 'idle-timeout-ms'];
  const flags = parseFlags(argv, Object.fromEntries(names.map((name) => [name, { type: 'string' as const }])));
  for (const required of ['from', 'to']) if (flags[required] === undefined) throw new CliUsageError(`--${required} is required`);
  const topic = textFlag('topic', flags.topic, env.topic);
  const format = textFlag('format', flags.format, 'table');
  if (!(REPORT_FORMATS as readonly string[]).includes(format)) throw new CliUsageError(`--format must be one of ${REPORT_FORMATS.join(', ')}, got "${format}"`);
  const [from, to] = [rangeFlag('from', flags.from), rangeFlag('to', flags.to)];
  if (from.kind === 'time' && to.kind === 'time' && from.at >= to.at) throw new CliUsageError('--from must be before --to');
  return {
    from,
    to,
    topic,
    deadLetterTopic: textFlag('dlt', flags.dlt, env.deadLetterTopic ?? `${topic}.dlt`),
    groupId: textFlag('group', flags.group, env.groupId),
    format: format as ReportFormat,
    out: flags.out === undefined ? undefined : textFlag('out', flags.out, ''),
    lookbackMs: integerFlag('lookback-minutes', flags['lookback-minutes'], 60, 0, 525_600) * 60_000,
    brokers: brokersFlag(textFlag('brokers', flags.brokers, env.brokers)),
    idleTimeoutMs: integerFlag('idle-timeout-ms', flags['idle-timeout-ms'], 30_000, 1_000, 3_600_000),
  };
}

function rangeFlag(name: string, raw: string | boolean | undefined) {
  try {
    return parseRangeBound(textFlag(name, raw, ''));
  } catch (error) {
    throw error instanceof RangeBoundError ? new CliUsageError(`--${name}: ${error.message}`) : error;
  }
}

export interface ReconcileIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Runs one reconciliation and returns its exit code. */
export async function reconcileCommand(argv: string[], io: ReconcileIo, rawEnv?: Env): Promise<number> {
  const env = loadReconcileEnv(rawEnv);
  const command = parseReconcileArgs(argv, env);
  const dataSource = new DataSource({ ...dataSourceOptions(env.databaseUrl), extra: { ...connectionBounds(), max: 1 } });
  await dataSource.initialize();
  const progress = io.stderr.isTTY ? progressBar(io.stderr) : undefined;
  try {
    const kafka = new KafkaClient({ brokers: command.brokers, security: env.security }, { clientId: 'billing-reconcile', logLevel: 'warn' });
    const summary = await writeReport(new Reconciler(kafka, dataSource, new OrderEventParser(env.billing), progress?.update), command, io, () =>
      progress?.stop(),
    );
    return summary.balanced ? 0 : EXIT_NOT_BALANCED;
  } catch (error) {
    throw error instanceof RangeBoundError ? new CliUsageError(error.message) : error;
  } finally {
    progress?.stop();
    await dataSource.destroy();
  }
}

async function writeReport(reconciler: Reconciler, command: ReconcileCommand, io: ReconcileIo, beforeSummary: () => void): Promise<ReconcileSummary> {
  // Opened before reading anything: a path that cannot be written fails here, as a rejection, not as a stream event.
  const file = command.out === undefined ? undefined : (await open(command.out, 'w')).createWriteStream();
  const sink = createSink(command.format, file ?? io.stdout);
  const summary = await reconciler
    .run(command, {
      message: (m) => sink.message(m),
      orphan: (o) => sink.orphan(o),
      // The bar redraws itself on the terminal: it goes before the summary is printed, not after.
      finish: (s) => (beforeSummary(), sink.finish(s)),
    })
    .finally(() => file?.end());
  if (file) await finished(file);
  if (file || command.format !== 'table') (file ? io.stdout : io.stderr).write(`${formatSummary(summary)}\n`);
  return summary;
}

function progressBar(stream: NodeJS.WritableStream): { update: ProgressHandler; stop: () => void } {
  const bar = new SingleBar({ format: 'reconcile {phase} [{bar}] {value}/{total} messages', stream, clearOnComplete: true }, Presets.shades_classic);
  let phase: string | undefined;
  return {
    update: (next, done, total) => {
      if (phase === undefined) bar.start(total, done, { phase: next });
      else if (phase !== next) bar.setTotal(total);
      phase = next;
      bar.update(done, { phase: next });
    },
    stop: () => bar.stop(),
  };
}

async function main(): Promise<void> {
  process.exitCode = await reconcileCommand(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
}

if (require.main === module) runCli(main, RECONCILE_USAGE);
