import { logCreator, LogEntry, logLevel } from 'kafkajs';
import { Logger } from 'pino';

const PINO_LEVEL: Record<logLevel, 'error' | 'warn' | 'info' | 'debug'> = {
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

/** Routes kafkajs's own logging into the service logger as structured lines instead of console output. */
export function kafkaLogCreator(root: Logger): logCreator {
  const logger = root.child({ context: 'kafkajs' });
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log as LogEntry['log'] & { logger?: string };
      const pinoLevel = isHandledByCaller(namespace, message) ? 'debug' : PINO_LEVEL[level];
      logger[pinoLevel]({ namespace, ...fields }, message);
    };
}

/** What a client logs through; opaque outside this folder. */
export type KafkaLogCreator = logCreator;
