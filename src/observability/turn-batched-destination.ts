import { DestinationStream } from 'pino';

/** Where the batched lines go: pino's synchronous file-descriptor destination (sonic-boom) in the service. */
export interface SyncLineWriter {
  write(chunk: string): unknown;
}

/**
 * Writes the lines of one turn of the event loop with one write: a committed group's outcome lines cost one system
 * call instead of one each (BENCHMARKS.md, issue #25). The lines go out before the loop waits for I/O again, and at
 * once while the process exits, so an exception or exit loses none; only SIGKILL can drop the lines of the turn it
 * interrupts, which are lines of work that ended in that same turn.
 */
export class TurnBatchedDestination implements DestinationStream {
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
    setImmediate(() => this.flush());
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending === '') return;
    const chunk = this.pending;
    this.pending = '';
    this.target.write(chunk);
  }
}
