import { LoggerService } from '@nestjs/common';
import { Level, Logger } from 'pino';

/**
 * Nest's own lines until the app's logger takes over: the buffered boot lines, and the ones Nest writes when the app
 * fails to start (a database that does not answer), which would otherwise reach stdout as coloured text.
 * Nest passes the context last; an error's stack, when it gives one, before it.
 */
export class BootNestLogger implements LoggerService {
  constructor(private readonly root: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }

  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: Level, message: unknown, rest: unknown[]): void {
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    const logger = context ? this.root.child({ context }) : this.root;
    if (message instanceof Error) return logger[level]({ err: message }, message.message);
    const stack = rest.length > 1 && typeof rest[0] === 'string' ? rest[0] : undefined;
    logger[level](stack ? { stack } : {}, String(message));
  }
}
