import { DestinationStream } from 'pino';

/** Where the batched lines go: pino's synchronous file-descriptor destination (sonic-boom) in the service. */
export interface SyncLineWriter {
  write(chunk: string): unknown;
}

/**
 * Writes the lines logged in one burst of synchronous code with one write: a committed group's outcome lines cost one
 * system call instead of one each (BENCHMARKS.md, issue #25). The write runs as a microtask queued with the burst's
 * first line, so it comes before any continuation the logging code goes on to (the consumer's offset commit), as a
 * write per line did; at exit the lines are written at once. Only SIGKILL can drop lines, those of the burst it
 * interrupts.
 */
export class LineBurstDestination implements DestinationStream {
  private pending = '';
  private scheduled = false;
  private exiting = false;

  constructor(
    private readonly target: SyncLineWriter,
    onExit: (listener: () => void) => void = (listener) => process.once('exit', listener),
  ) {
    onExit(() => {
      this.exiting = true;
      this.flush();
    });
  }

  write(line: string): void {
    this.pending += line;
    if (this.exiting) return this.flush();
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending === '') return;
    const chunk = this.pending;
    this.pending = '';
    this.target.write(chunk);
  }
}
