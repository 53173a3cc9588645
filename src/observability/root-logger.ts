import { destination as pinoDestination, DestinationStream, Logger, LoggerOptions, pino, stdTimeFunctions } from 'pino';
import { LoggingConfig } from '../config/configuration';
import { activeTraceFields } from '../tracing/log-fields';
import { LineBurstDestination } from './line-burst-destination';

/** Injection token of the service's one pino logger: HTTP, Nest, kafkajs and consumer lines all go through it. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/** Paths pino replaces with [Redacted] wherever they appear, so a careless log call cannot leak a credential. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'authorization',
  'password',
  'jwtSecret',
  '*.authorization',
  '*.password',
  '*.jwtSecret',
  '*.headers.authorization',
];

/**
 * For a child whose lines have a fixed shape of scalars (the per-event outcome line): only the top-level paths. The
 * wildcard paths make pino clone and scan every field of every line, about 6 µs a line, a sixth of the consumer's
 * CPU at full speed; such a line holds no object that could carry a credential.
 */
export const FIXED_SHAPE_REDACTION = { paths: REDACTED_PATHS.filter((path) => !path.includes('*') && !path.includes('.')), censor: '[Redacted]' };

export function rootLoggerOptions(config: LoggingConfig): LoggerOptions {
  return {
    level: config.level,
    base: { service: 'billing-service' },
    timestamp: stdTimeFunctions.isoTime,
    // Label levels read better in JSON; pino-pretty expects pino's numeric levels.
    formatters: config.format === 'json' ? { level: (label) => ({ level: label }) } : {},
    redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
    // A line written while a span is active names its trace, so a tracing tool and the logs point at each other.
    mixin: activeTraceFields,
  };
}

export function createRootLogger(config: LoggingConfig, destination?: DestinationStream): Logger {
  return pino(rootLoggerOptions(config), destination ?? defaultDestination(config));
}

let stdoutDestination: LineBurstDestination | undefined;

/**
 * One for the process (it flushes on exit). Synchronous writes, so a crash loses no line, batched per burst of
 * synchronous code: a group's outcome lines, logged in one burst after its commit, cost one write (BENCHMARKS.md, Logging).
 */
function jsonStdout(): DestinationStream {
  stdoutDestination ??= new LineBurstDestination(pinoDestination({ fd: 1, sync: true }));
  return stdoutDestination;
}

function defaultDestination(config: LoggingConfig): DestinationStream {
  if (config.format === 'json') return jsonStdout();
  // pino-pretty is a dev dependency: required only when asked for, so a production image without it still boots with json.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pretty = require('pino-pretty') as typeof import('pino-pretty');
  return pretty.build({ colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service', sync: true });
}

/** A database URL fit for a log line: the password, if any, is masked. */
export function maskDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '[unparseable DATABASE_URL]';
  }
}
