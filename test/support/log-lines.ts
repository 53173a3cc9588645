import { Writable } from 'node:stream';

export interface JsonLinesSink {
  /** A destination for pino (or createRootLogger). */
  sink: Writable;
  /** Each line written to `sink`, parsed, in order. */
  lines: Record<string, unknown>[];
}

/** A log destination that keeps the JSON lines written to it, parsed; a chunk may hold several lines. Into `lines` when given. */
export function jsonLinesSink(lines: Record<string, unknown>[] = []): JsonLinesSink {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(
        ...chunk
          .toString()
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as Record<string, unknown>),
      );
      done();
    },
  });
  return { sink, lines };
}
