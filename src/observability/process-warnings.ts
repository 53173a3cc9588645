import { Logger } from 'pino';

/**
 * Node prints a process warning (a deprecation, a library's bad timer) as lines of text on stderr, but the service's
 * output is JSON lines only. main.ts takes warnings over from Node's printer first thing; they are held until the
 * root logger exists, then written through it.
 */
export class ProcessWarnings {
  private readonly held: Error[] = [];
  private logger?: Logger;

  /** source: the process, or what stands for it in a test. */
  static capture(source: Pick<NodeJS.EventEmitter, 'removeAllListeners' | 'on'> = process): ProcessWarnings {
    const warnings = new ProcessWarnings();
    source.removeAllListeners('warning');
    source.on('warning', (warning: Error) => warnings.write(warning));
    return warnings;
  }

  /** From now on through this logger, the held ones first. */
  logTo(logger: Logger): void {
    this.logger = logger.child({ context: 'ProcessWarnings' });
    for (const warning of this.held.splice(0)) this.write(warning);
  }

  private write(warning: Error): void {
    if (!this.logger) {
      this.held.push(warning);
      return;
    }
    const { code } = warning as NodeJS.ErrnoException;
    this.logger.warn({ warning: warning.name, ...(code && { code }) }, warning.message);
  }
}
