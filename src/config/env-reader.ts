export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Reads variables and collects every problem, so one boot reports them all. */
export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

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
