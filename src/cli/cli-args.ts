import { parseArgs, ParseArgsConfig } from 'node:util';

/** A bad command line: printed with the usage and exit code 64 (EX_USAGE), never a stack trace. */
export class CliUsageError extends Error {
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

/** Runs a CLI's main: usage errors print the usage, anything else the error, each with its own exit code. */
export function runCli(main: () => Promise<void>, usage: string): void {
  main().catch((error: unknown) => {
    if (error instanceof CliUsageError) {
      console.error(`error: ${error.message}\n\n${usage}`);
      process.exitCode = 64;
      return;
    }
    console.error(error instanceof Error ? `error: ${error.message}` : error);
    process.exitCode = 1;
  });
}
