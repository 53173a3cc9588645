import { logCreator, LogEntry, logLevel } from 'kafkajs';
import { errorCodes } from 'kafkajs/src/protocol/error';
import { Logger } from 'pino';

type PinoLevel = 'error' | 'warn' | 'info' | 'debug';

const PINO_LEVEL: Record<logLevel, PinoLevel> = {
  [logLevel.NOTHING]: 'error',
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * kafkajs logs every error response at the connection level although the caller handles it; creating
 * topics that already exist (done at every boot) would otherwise print an error each time. The idempotent
 * producers give up after a few retries on purpose: the caller retries with a new producer, and the receivers
 * deduplicate on event_id, so kafkajs's warning about limited retries says nothing an operator can act on.
 */
function isHandledByCaller(namespace: string, message: string): boolean {
  return (
    (namespace === 'Connection' && message.startsWith('Response CreateTopics')) ||
    (namespace === 'Producer' && message.startsWith('Limiting retries for the idempotent producer'))
  );
}

/** Kafka's retriable answers (a partition moving to a new leader): kafkajs retries them itself. */
const RETRIABLE_ANSWERS = new Set(errorCodes.filter((code) => code.retriable).map((code) => code.message));

/**
 * A retriable answer logged before kafkajs retries it is a warning: a failover or a just-created partition
 * answers NOT_LEADER once, and the send succeeds on the retry; a send that fails for good reaches its caller.
 */
function isRetriedAnswer(namespace: string, message: string, error: unknown): boolean {
  return namespace === 'Connection' && message.startsWith('Response ') && typeof error === 'string' && RETRIABLE_ANSWERS.has(error);
}

function pinoLevelOf({ namespace, level, log }: LogEntry): PinoLevel {
  if (isHandledByCaller(namespace, log.message)) return 'debug';
  if (level === logLevel.ERROR && isRetriedAnswer(namespace, log.message, (log as { error?: unknown }).error)) return 'warn';
  return PINO_LEVEL[level];
}

/** Routes kafkajs's own logging into the service logger as structured lines instead of console output. */
export function kafkaLogCreator(root: Logger): logCreator {
  const logger = root.child({ context: 'kafkajs' });
  return () => (entry: LogEntry) => {
    const { message, timestamp: _timestamp, logger: _name, ...fields } = entry.log as LogEntry['log'] & { logger?: string };
    logger[pinoLevelOf(entry)]({ namespace: entry.namespace, ...fields }, message);
  };
}

/** What a client logs through; opaque outside this folder. */
export type KafkaLogCreator = logCreator;
