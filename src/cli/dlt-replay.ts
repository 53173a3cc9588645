import { randomBytes } from 'node:crypto';
import { ConsumedMessage } from '../kafka/kafka-message';
import { KafkaAdmin } from '../kafka/kafka-admin';
import { KafkaClient } from '../kafka/kafka-client';
import { headerText, KafkaHeaders, MessageHeaders, messageHeaders } from '../kafka/kafka-headers';
import { KafkaProducer } from '../kafka/kafka-producer';
import { cliKafkaDefaults } from '../config/cli-env';
import { brokersFlag, integerFlag, parseFlags, runCli, textFlag } from './cli-args';
import { KafkaSecurity } from '../config/kafka-security';

export const DLT_REPLAY_USAGE = `usage: npm run dlt:replay -- [--reason R] [--dry-run] [--from-beginning] [--include-truncated] [--topic order.completed] [--dlt order.completed.dlt] [--group billing-dlt-replay] [--brokers host:port,...]

  --reason          replay only messages whose x-dlt-reason is R (invalid_json, invalid_payload, conflict); default all
  --dry-run         print what would be replayed; publishes nothing and moves no offset
  --from-beginning  re-read the whole dead-letter topic, not only what this tool has not seen yet
  --include-truncated  also replay letters that were cut to fit the DLT (x-dlt-truncated-*), keeping the headers that
                    say so; without it they are refused: their value or key is not the original any more
  --topic           where replayed messages go; default KAFKA_TOPIC or order.completed
  --dlt             default <topic>.dlt
  --group           the tool's own consumer group, default billing-dlt-replay
  --idle-timeout-ms give up when no message arrives for this long before the end offsets, default 30000`;

export const DLT_HEADER_PREFIX = 'x-dlt-';
/** Headers of a letter that was cut to fit (see dead-letter.fit.ts): what was cut, the original's size and hash. */
const TRUNCATION_HEADER = /^x-dlt-(?:truncated-|original-|headers-dropped$)/;
/** Keys and reasons are shown this far: a key may be a megabyte of binary. */
const PREVIEW_CHARS = 64;

export interface ReplayOptions {
  reason?: string;
  dryRun: boolean;
  fromBeginning: boolean;
  includeTruncated?: boolean;
  topic: string;
  deadLetterTopic: string;
  groupId: string;
  brokers: string[];
  security?: KafkaSecurity;
  idleTimeoutMs: number;
}

export interface ReplayedMessage {
  partition: number;
  offset: string;
  /** The key's start and, when cut, its size in bytes. */
  key: string | null;
  reason: string | null;
  action: 'republished' | 'would_republish' | 'skipped' | 'refused_truncated';
}

export interface ReplaySummary {
  scanned: number;
  selected: number;
  republished: number;
  refusedTruncated: number;
  dryRun: boolean;
  messages: ReplayedMessage[];
}

export function parseReplayArgs(argv: string[], defaults = cliKafkaDefaults()): ReplayOptions {
  const flags = parseFlags(argv, {
    reason: { type: 'string' },
    'dry-run': { type: 'boolean' },
    'from-beginning': { type: 'boolean' },
    'include-truncated': { type: 'boolean' },
    topic: { type: 'string' },
    dlt: { type: 'string' },
    group: { type: 'string' },
    brokers: { type: 'string' },
    'idle-timeout-ms': { type: 'string' },
  });
  const topic = textFlag('topic', flags.topic, defaults.topic);
  return {
    reason: flags.reason === undefined ? undefined : textFlag('reason', flags.reason, ''),
    dryRun: flags['dry-run'] === true,
    fromBeginning: flags['from-beginning'] === true,
    includeTruncated: flags['include-truncated'] === true,
    topic,
    deadLetterTopic: textFlag('dlt', flags.dlt, `${topic}.dlt`),
    groupId: textFlag('group', flags.group, 'billing-dlt-replay'),
    brokers: brokersFlag(textFlag('brokers', flags.brokers, defaults.brokers)),
    security: defaults.security,
    idleTimeoutMs: integerFlag('idle-timeout-ms', flags['idle-timeout-ms'], 30_000, 1_000, 3_600_000),
  };
}

/** The original headers exactly (repeated keys, null values), without the ones the dead-letter publisher added; with keepTruncation, those that say the letter was cut stay. */
export function originalHeaders(headers: KafkaHeaders = {}, keepTruncation = false): MessageHeaders {
  return Object.fromEntries(
    Object.entries(messageHeaders(headers)).filter(([name]) => !name.startsWith(DLT_HEADER_PREFIX) || (keepTruncation && TRUNCATION_HEADER.test(name))),
  );
}

export function isTruncated(headers: KafkaHeaders = {}): boolean {
  return Object.keys(headers).some((name) => name.startsWith(`${DLT_HEADER_PREFIX}truncated-`) || name === `${DLT_HEADER_PREFIX}headers-dropped`);
}

/** At most PREVIEW_CHARS characters of a key or header on one line (control characters escaped), with the byte size when cut. */
export function preview(bytes: Buffer | string | null): string | null {
  if (bytes === null) return null;
  const text = (Buffer.isBuffer(bytes) ? bytes.toString('utf8') : bytes).toWellFormed();
  const shown = text
    .slice(0, PREVIEW_CHARS)
    .toWellFormed()
    .replace(/\p{Cc}/gu, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return text.length <= PREVIEW_CHARS ? shown : `${shown}...(${Buffer.byteLength(bytes)} bytes)`;
}

type Positions = Map<number, { start: number; end: number }>;

/** Where reading starts (the group's commit, or the earliest offset) and the end offsets captured now: the run stops there. */
async function capturePositions(admin: KafkaAdmin, options: ReplayOptions): Promise<Positions> {
  const [ends, committed] = await Promise.all([admin.topicOffsets(options.deadLetterTopic), admin.committedOffsets(options.groupId, options.deadLetterTopic)]);
  const committedBy = new Map(committed.map((p) => [p.partition, Number(p.offset)]));
  return new Map(
    ends.map(({ partition, low, high }) => {
      const commit = committedBy.get(partition) ?? -1;
      const start = options.fromBeginning || commit < 0 ? Number(low) : Math.max(commit, Number(low));
      return [partition, { start, end: Number(high) }];
    }),
  );
}

/**
 * Re-publishes selected dead-lettered messages to the input topic with their original key, value and
 * headers. The consumer's claim makes this safe: an event that was already invoiced is skipped as a duplicate.
 * A dry run reads through a throwaway group placed at the same offsets, so the real group does not move.
 */
export async function replayDeadLetters(options: ReplayOptions, report: (line: string) => void = () => undefined): Promise<ReplaySummary> {
  const kafka = new KafkaClient(options, { clientId: 'billing-dlt-replay', logLevel: 'warn' });
  const admin = kafka.admin();
  await admin.connect();
  const summary: ReplaySummary = { scanned: 0, selected: 0, republished: 0, refusedTruncated: 0, dryRun: options.dryRun, messages: [] };
  const readGroup = options.dryRun ? `${options.groupId}.dry-run.${randomBytes(4).toString('hex')}` : options.groupId;
  try {
    const positions = await capturePositions(admin, options);
    const pending = [...positions].filter(([, p]) => p.start < p.end);
    if (pending.length === 0) return summary;
    if (options.dryRun || options.fromBeginning) {
      await admin.setGroupOffsets(
        readGroup,
        options.deadLetterTopic,
        pending.map(([partition, p]) => ({ partition, offset: String(p.start) })),
      );
    }
    await consume(kafka, readGroup, options, positions, summary, report);
  } finally {
    if (options.dryRun) await admin.deleteGroups([readGroup]).catch(() => undefined);
    await admin.disconnect();
  }
  return summary;
}

async function consume(
  kafka: KafkaClient,
  groupId: string,
  options: ReplayOptions,
  positions: Positions,
  summary: ReplaySummary,
  report: (line: string) => void,
) {
  const producer = options.dryRun ? undefined : kafka.producer();
  await producer?.connect();
  try {
    // Committed one by one (dry runs never commit): an interrupted replay resumes after the last message it handled.
    const read = { topic: options.deadLetterTopic, groupId, commit: !options.dryRun, idleTimeoutMs: options.idleTimeoutMs };
    await kafka.readGroupToEnds(read, positions, async (partition, message) => {
      summary.scanned += 1;
      const entry = await replayOne(message, partition, options, producer);
      summary.messages.push(entry);
      if (entry.action !== 'skipped') summary.selected += 1;
      if (entry.action === 'republished') summary.republished += 1;
      if (entry.action === 'refused_truncated') summary.refusedTruncated += 1;
      report(`${entry.action} ${options.deadLetterTopic}[${partition}]@${entry.offset} key=${entry.key ?? '-'} reason=${entry.reason ?? '-'}`);
    });
  } finally {
    await producer?.disconnect();
  }
}

async function replayOne(message: ConsumedMessage, partition: number, options: ReplayOptions, producer?: KafkaProducer): Promise<ReplayedMessage> {
  const reason = headerText(message.headers, `${DLT_HEADER_PREFIX}reason`);
  const entry = { partition, offset: message.offset, key: preview(message.key), reason: preview(reason) };
  if (options.reason !== undefined && reason !== options.reason) return { ...entry, action: 'skipped' };
  if (!options.includeTruncated && isTruncated(message.headers)) return { ...entry, action: 'refused_truncated' };
  if (!producer) return { ...entry, action: 'would_republish' };
  const headers = originalHeaders(message.headers, options.includeTruncated);
  await producer.send({ topic: options.topic, acks: -1, messages: [{ key: message.key, value: message.value, headers }] });
  return { ...entry, action: 'republished' };
}

export function formatReplaySummary(s: ReplaySummary, options: Pick<ReplayOptions, 'topic' | 'deadLetterTopic'>): string {
  const verb = s.dryRun ? 'would re-publish' : 're-published';
  const refused =
    s.refusedTruncated === 0
      ? ''
      : `; ${s.refusedTruncated} refused as truncated (not the original bytes; replay them with --include-truncated --from-beginning)`;
  return `${s.scanned} dead letters read from ${options.deadLetterTopic}, ${s.selected} selected, ${verb} ${s.dryRun ? s.selected - s.refusedTruncated : s.republished} to ${options.topic}${refused}`;
}

async function main(): Promise<void> {
  const options = parseReplayArgs(process.argv.slice(2));
  const summary = await replayDeadLetters(options, (line) => console.log(line));
  console.log(formatReplaySummary(summary, options));
}

if (require.main === module) runCli(main, DLT_REPLAY_USAGE);
