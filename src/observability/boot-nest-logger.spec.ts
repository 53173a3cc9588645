import pino from 'pino';
import { BootNestLogger } from './boot-nest-logger';

function capture(): { logger: BootNestLogger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const root = pino(
    { base: null, timestamp: false, formatters: { level: (label) => ({ level: label }) } },
    { write: (line: string) => lines.push(JSON.parse(line)) },
  );
  return { logger: new BootNestLogger(root), lines };
}

const STACK = 'Error: refused\n    at connect (net.js:1:2)';

// The argument shapes of Nest's Logger: an instance appends its context, and error() puts undefined where no stack was given.
describe('BootNestLogger, called as Nest calls it', () => {
  it('writes a line with its context', () => {
    const { logger, lines } = capture();
    logger.log('AppModule dependencies initialized', 'InstanceLoader');
    expect(lines).toEqual([{ level: 'info', context: 'InstanceLoader', msg: 'AppModule dependencies initialized' }]);
  });

  it("keeps an error line's stack apart from its context, also when there is no context", () => {
    const { logger, lines } = capture();
    logger.error('Unable to connect to the database. Retrying (1)...', STACK, 'TypeOrmModule');
    logger.error('no context', STACK);
    expect(lines).toEqual([
      { level: 'error', context: 'TypeOrmModule', stack: STACK, msg: 'Unable to connect to the database. Retrying (1)...' },
      { level: 'error', stack: STACK, msg: 'no context' },
    ]);
  });

  it('writes an error as err, as the exception handler passes it', () => {
    const { logger, lines } = capture();
    logger.error(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), undefined, 'ExceptionHandler');
    expect(lines).toEqual([
      expect.objectContaining({ level: 'error', context: 'ExceptionHandler', msg: 'refused', err: expect.objectContaining({ code: 'ECONNREFUSED' }) }),
    ]);
  });

  it('takes plain objects as fields and writes an object message readably', () => {
    const { logger, lines } = capture();
    logger.log('mapped', { route: '/invoices' }, 'Routes');
    logger.warn({ unexpected: true }, 'Routes');
    expect(lines).toEqual([
      { level: 'info', context: 'Routes', route: '/invoices', msg: 'mapped' },
      { level: 'warn', context: 'Routes', msg: '{ unexpected: true }' },
    ]);
  });
});
