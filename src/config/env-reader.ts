import { readFileSync } from 'node:fs';
import { BillingError } from '../common/errors';

export class ConfigValidationError extends BillingError {
  readonly code = 'config.invalid';

  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;
export type FileReader = (path: string) => string;

const readUtf8: FileReader = (path) => readFileSync(path, 'utf8');

/** Reads variables and collects every problem, so one boot reports them all. */
export class EnvReader {
  private readonly problems: string[] = [];

  constructor(
    private readonly env: Env,
    private readonly readFile: FileReader = readUtf8,
  ) {}

  /** A secret comes from NAME or from the file NAME_FILE names (Docker and Kubernetes secrets), never both. */
  secret(name: string, fallback?: string): string {
    const fileVariable = `${name}_FILE`;
    const path = this.optionalString(fileVariable);
    if (!path) return this.string(name, fallback);
    if (this.optionalString(name)) {
      this.problems.push(`${name} and ${fileVariable} are both set; give only one`);
      return '';
    }
    const value = this.fileText(fileVariable, path)?.trim();
    if (value === '') this.problems.push(`${fileVariable} names an empty file (${path})`);
    return value ?? '';
  }

  /** The PEM text of the file the variable names, or undefined when the variable is not set. */
  pemFile(name: string): string | undefined {
    const path = this.optionalString(name);
    if (!path) return undefined;
    const text = this.fileText(name, path);
    if (text !== undefined && !text.includes('-----BEGIN ')) this.problems.push(`${name} must name a PEM file, ${path} is not one`);
    return text;
  }

  private fileText(name: string, path: string): string | undefined {
    try {
      return this.readFile(path);
    } catch (error) {
      this.problems.push(`${name} cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
      return undefined;
    }
  }

  string(name: string, fallback?: string): string {
    const raw = this.env[name]?.trim();
    if (raw) return raw;
    if (fallback !== undefined) return fallback;
    this.problems.push(`${name} is required`);
    return '';
  }

  optionalString(name: string): string | undefined {
    return this.env[name]?.trim() || undefined;
  }

  integer(name: string, fallback: number, { min, max }: { min: number; max: number }): number {
    const raw = this.env[name]?.trim();
    if (!raw) return fallback;
    const value = /^-?\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.env[name]?.trim().toLowerCase();
    if (!raw) return fallback;
    if (['true', '1', 'yes'].includes(raw)) return true;
    if (['false', '0', 'no'].includes(raw)) return false;
    this.problems.push(`${name} must be true or false, got "${raw}"`);
    return fallback;
  }

  check(name: string, ok: boolean, message: string): void {
    if (!ok) this.problems.push(`${name} ${message}`);
  }

  assertValid(): void {
    if (this.problems.length > 0) throw new ConfigValidationError(this.problems);
  }
}
