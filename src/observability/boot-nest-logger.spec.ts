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

describe('BootNestLogger', () => {
  it('writes a Nest line with its context', () => {
    const { logger, lines } = capture();
    logger.log('AppModule dependencies initialized', 'InstanceLoader');
    expect(lines).toEqual([{ level: 'info', context: 'InstanceLoader', msg: 'AppModule dependencies initialized' }]);
  });

  it('keeps the stack Nest gives before the context, and an error as err', () => {
    const { logger, lines } = capture();
    logger.error('Unable to connect to the database. Retrying (1)...', 'Error: refused\n    at x', 'TypeOrmModule');
    logger.error(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), 'ExceptionHandler');
    expect(lines).toEqual([
      { level: 'error', context: 'TypeOrmModule', stack: 'Error: refused\n    at x', msg: 'Unable to connect to the database. Retrying (1)...' },
      expect.objectContaining({ level: 'error', context: 'ExceptionHandler', msg: 'refused', err: expect.objectContaining({ code: 'ECONNREFUSED' }) }),
    ]);
  });
});
