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

/** The lines the apps of the running test logged so far. */
export function capturedLines(): string[] {
  return (globalThis as CapturingGlobal).__capturedLogs ?? [];
}
