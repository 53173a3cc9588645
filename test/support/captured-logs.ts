import { DestinationStream } from 'pino';

type CapturingGlobal = typeof globalThis & { __capturedLogs?: string[] };

/** Where test apps write their log lines: kept per test, printed by log-capturing-environment.js if it fails. */
export function capturedLogs(): DestinationStream {
  return {
    write(line: string) {
      const global = globalThis as CapturingGlobal;
      (global.__capturedLogs ??= []).push(line);
    },
  };
}

/** The JSON lines the test apps logged so far in the running test (the fixture's apps log JSON). */
export function capturedLines(): Record<string, unknown>[] {
  return ((globalThis as CapturingGlobal).__capturedLogs ?? []).map((line) => JSON.parse(line) as Record<string, unknown>);
}
