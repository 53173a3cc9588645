import { readFileSync } from 'node:fs';
import { BillingError } from '../common/errors';
import { BoolName, CONFIG_TABLE, EnumName, EnumValue, IntName, PemFileName, ReadableName, SecretName, TextName } from './config-table';

export class ConfigValidationError extends BillingError {
  readonly code = 'config.invalid';

  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;
export type FileReader = (path: string) => string;

type Defaulted = IntName | TextName | SecretName | EnumName;
type DefaultOf<N extends Defaulted> = (typeof CONFIG_TABLE)[N] extends { default: infer D } ? D : undefined;
type ChoiceOf<N extends EnumName> = DefaultOf<N> extends undefined ? EnumValue<N> | undefined : EnumValue<N>;

const readUtf8: FileReader = (path) => readFileSync(path, 'utf8');

/**
 * Reads the variables of CONFIG_TABLE, each with the table's type, default and range, and collects every problem,
 * so one boot reports them all. A problem names the variable; it never prints a secret's value.
 */
export class EnvReader {
  private readonly problems: string[] = [];

  constructor(
    private readonly env: Env,
    private readonly readFile: FileReader = readUtf8,
  ) {}

  /** A secret comes from NAME or from the file NAME_FILE names (Docker and Kubernetes secrets), never both. */
  secret(name: SecretName & TextName): string {
    const fileVariable = `${name}_FILE` as const;
    const path = this.optionalString(fileVariable);
    if (!path) return this.string(name);
    if (this.optionalString(name)) {
      this.problems.push(`${name} and ${fileVariable} are both set; give only one`);
      return '';
    }
    const value = this.fileText(fileVariable, path)?.trim();
    if (value === '') this.problems.push(`${fileVariable} names an empty file (${path})`);
    return value ?? '';
  }

  /** The PEM text of the file the variable names, or undefined when the variable is not set. */
  pemFile(name: PemFileName): string | undefined {
    const path = this.optionalString(name);
    if (!path) return undefined;
    const text = this.fileText(name, path);
    if (text !== undefined && !text.includes('-----BEGIN ')) this.problems.push(`${name} must name a PEM file, ${path} is not one`);
    return text;
  }

  private fileText(name: ReadableName, path: string): string | undefined {
    try {
      return this.readFile(path);
    } catch (error) {
      this.problems.push(`${name} cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
      return undefined;
    }
  }

  /** The value, else the fallback a reader derives from other variables, else the table's default; else it is required. */
  string(name: TextName, fallback?: string): string {
    const raw = this.env[name]?.trim();
    if (raw) return raw;
    const orDefault = fallback ?? defaultOf(name);
    if (orDefault !== undefined) return orDefault;
    this.problems.push(`${name} is required`);
    return '';
  }

  optionalString(name: ReadableName): string | undefined {
    return this.env[name]?.trim() || undefined;
  }

  integer(name: IntName, fallback?: number): number {
    const { min, max } = CONFIG_TABLE[name];
    const orDefault = fallback ?? defaultOf(name);
    if (orDefault === undefined) throw new Error(`${name} has no default in CONFIG_TABLE, so its reader must derive one`);
    const raw = this.env[name]?.trim();
    if (!raw) return orDefault;
    const value = /^-?\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return orDefault;
    }
    return value;
  }

  boolean(name: BoolName): boolean {
    const fallback = CONFIG_TABLE[name].default;
    const raw = this.env[name]?.trim().toLowerCase();
    if (!raw) return fallback;
    if (['true', '1', 'yes'].includes(raw)) return true;
    if (['false', '0', 'no'].includes(raw)) return false;
    this.problems.push(`${name} must be true or false, got "${raw}"`);
    return fallback;
  }

  /** One of the table's values; an invalid one is reported and read as the default (undefined when there is none). */
  choice<N extends EnumName>(name: N, fallback: EnumValue<N>): EnumValue<N>;
  choice<N extends EnumName>(name: N): ChoiceOf<N>;
  choice<N extends EnumName>(name: N, fallback?: EnumValue<N>): EnumValue<N> | undefined {
    const variable: { values: readonly string[]; caseInsensitive?: true } = CONFIG_TABLE[name];
    const orDefault = fallback ?? (defaultOf(name) as EnumValue<N> | undefined);
    const trimmed = this.env[name]?.trim();
    const raw = variable.caseInsensitive ? trimmed?.toLowerCase() : trimmed;
    if (!raw) return orDefault;
    if (variable.values.includes(raw)) return raw as EnumValue<N>;
    const allowed = variable.values.length === 2 ? variable.values.join(' or ') : `one of ${variable.values.join(', ')}`;
    this.problems.push(`${name} must be ${allowed}, got "${raw}"`);
    return orDefault;
  }

  /** A removed variable that is still set is reported with what replaced it. */
  refuseRemoved(removed: Readonly<Record<string, string>>): void {
    for (const [name, instead] of Object.entries(removed)) if (this.env[name] !== undefined) this.problems.push(`${name} ${instead}`);
  }

  check(name: ReadableName, ok: boolean, message: string): void {
    if (!ok) this.problems.push(`${name} ${message}`);
  }

  assertValid(): void {
    if (this.problems.length > 0) throw new ConfigValidationError(this.problems);
  }
}

function defaultOf<N extends Defaulted>(name: N): DefaultOf<N>;
function defaultOf(name: Defaulted): unknown {
  const variable = CONFIG_TABLE[name];
  return 'default' in variable ? variable.default : undefined;
}
