import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { ProcessWarnings } from './process-warnings';
import { jsonLinesSink } from '../../test/support/log-lines';

function memoryLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const { sink, lines } = jsonLinesSink();
  return { logger: pino({ base: null, timestamp: false }, sink), lines };
}

function warning(name: string, message: string, code?: string): Error {
  return Object.assign(new Error(message), { name }, code ? { code } : {});
}

describe('ProcessWarnings', () => {
  it("replaces Node's printer, holds warnings until the logger exists, then writes each as one JSON line", async () => {
    const process = new EventEmitter();
    const nodePrinter = jest.fn();
    process.on('warning', nodePrinter);
    const warnings = ProcessWarnings.capture(process);
    process.emit('warning', warning('TimeoutNegativeWarning', '-5 is a negative number.'));

    const { logger, lines } = memoryLogger();
    warnings.logTo(logger);
    process.emit('warning', warning('DeprecationWarning', 'Buffer() is deprecated', 'DEP0005'));
    await new Promise((resolve) => setImmediate(resolve));

    expect(nodePrinter).not.toHaveBeenCalled();
    expect(lines).toEqual([
      { level: 40, context: 'ProcessWarnings', warning: 'TimeoutNegativeWarning', msg: '-5 is a negative number.' },
      { level: 40, context: 'ProcessWarnings', warning: 'DeprecationWarning', code: 'DEP0005', msg: 'Buffer() is deprecated' },
    ]);
  });
});
