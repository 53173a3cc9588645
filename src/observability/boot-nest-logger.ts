import { inspect } from 'node:util';
import { LoggerService } from '@nestjs/common';
import { Level, Logger } from 'pino';

/** Nest's ConsoleLogger tells a stack from a context by this shape. */
const STACK = /\n[ \t]+at .+:\d+:\d+/;

/**
 * Nest's own lines until the app's logger takes over: the buffered boot lines, and the ones Nest writes when the app
 * fails to start (a database that does not answer), which would otherwise reach stdout as coloured text.
 * Read as Nest's ConsoleLogger reads its arguments: a trailing string is the context, an error's stack comes
 * before it, plain objects are fields of the line.
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
    const params = [...rest];
    const last = params[params.length - 1];
    const context = typeof last === 'string' && !STACK.test(last) ? (params.pop() as string) : undefined;
    const stack = (level === 'error' || level === 'fatal') && (typeof params[0] === 'string' || params[0] === undefined) ? params.shift() : undefined;
    const fields = Object.assign({}, ...params.filter(isPlainObject), stack === undefined ? {} : { stack }) as Record<string, unknown>;
    const logger = context ? this.root.child({ context }) : this.root;
    if (message instanceof Error) return logger[level]({ ...fields, err: message }, message.message);
    const text = typeof message === 'function' ? (message as () => unknown)() : message;
    logger[level](fields, typeof text === 'string' ? text : inspect(text, { depth: 4, breakLength: Infinity }));
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}
