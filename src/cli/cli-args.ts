import { parseArgs, ParseArgsConfig } from 'node:util';
import { BillingError } from '../common/errors';

/** A bad command line: printed with the usage and exit code 64 (EX_USAGE), never a stack trace. */
export class CliUsageError extends BillingError {
  readonly code = 'cli.usage';

  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseFlags(argv: string[], options: Options): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>;
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
}

export function integerFlag(name: string, raw: string | boolean | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new CliUsageError(`--${name} must be an integer from ${min} to ${max}, got "${String(raw)}"`);
  return value;
}

export function rateFlag(name: string, raw: string | boolean | undefined): number {
  if (raw === undefined) return 0;
  const value = typeof raw === 'string' && /^\d*\.?\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= 0 && value <= 1)) throw new CliUsageError(`--${name} must be a fraction from 0 to 1 (0.2 means 20%), got "${String(raw)}"`);
  return value;
}

export function brokersFlag(raw: string): string[] {
  const brokers = raw
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0 || !brokers.every((b) => /^[^\s:]+:\d{1,5}$/.test(b)))
    throw new CliUsageError(`--brokers must be a comma-separated list of host:port, got "${raw}"`);
  return brokers;
}

export function textFlag(name: string, raw: string | boolean | undefined, fallback: string): string {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || raw.trim() === '') throw new CliUsageError(`--${name} must not be empty`);
  return raw.trim();
}

/**
 * Runs a CLI's main: usage errors print the usage (exit 64); any other failure, also an I/O error raised outside
 * main (a file stream's error event, a closed stdout), prints one line and exits 1, without waiting for clients
 * that are still retrying (kafkajs keeps a failed request's retries alive).
 */
export function runCli(main: () => Promise<void>, usage: string): void {
  dropKafkajsTimeoutWarnings();
  const fail = (error: unknown) => {
    if (error instanceof CliUsageError) console.error(`error: ${error.message}\n\n${usage}`);
    else console.error(oneLineError(error));
    process.exit(error instanceof CliUsageError ? 64 : 1);
  };
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  process.stdout.on('error', fail);
  main().catch(fail);
}

export function oneLineError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `error: ${message.replace(/\s*\n\s*/g, ' ').slice(0, MAX_ERROR_CHARS)}`;
}

const MAX_ERROR_CHARS = 2_000;

/** kafkajs 2.2.4 arms timers with negative delays; on Node 24 each prints a 3-line warning that says nothing to an operator. */
function dropKafkajsTimeoutWarnings(): void {
  const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = (warning: string | Error, ...rest: unknown[]) => {
    const name = warning instanceof Error ? warning.name : typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    if (name !== 'TimeoutNegativeWarning') emitWarning(warning, ...rest);
  };
}
