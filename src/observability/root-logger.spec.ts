import { Writable } from 'node:stream';
import { LoggingConfig } from '../config/configuration';
import { createRootLogger, FIXED_SHAPE_REDACTION, maskDatabaseUrl } from './root-logger';
import { jsonLinesSink } from '../../test/support/log-lines';

function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createRootLogger(new LoggingConfig({ level: 'info', format: 'json' }), sink), lines };
}

describe('root logger', () => {
  it('redacts authorization headers, passwords and the JWT secret wherever they appear', () => {
    const { logger, lines } = capture();
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJ0ZW5hbnRfaWQiOiJhY21lIn0.c2lnbmF0dXJl';
    logger.info({ req: { headers: { authorization: `Bearer ${token}` } }, config: { jwtSecret: 'super-secret-value', password: 'pw' } }, 'request');

    const line = lines.join('');
    expect(line).not.toContain(token);
    expect(line).not.toContain('super-secret-value');
    expect(JSON.parse(line)).toMatchObject({ req: { headers: { authorization: '[Redacted]' } }, config: { jwtSecret: '[Redacted]', password: '[Redacted]' } });
  });

  it('still redacts top-level credentials on a fixed-shape child, which skips the wildcard paths', () => {
    const { logger, lines } = capture();
    logger
      .child({ context: 'c' }, { redact: FIXED_SHAPE_REDACTION })
      .info({ authorization: 'Bearer abc', password: 'pw', jwtSecret: 'js', event_id: 'e-1' }, 'line');

    expect(JSON.parse(lines.join(''))).toMatchObject({ authorization: '[Redacted]', password: '[Redacted]', jwtSecret: '[Redacted]', event_id: 'e-1' });
  });

  it('respects the configured level', () => {
    const { sink, lines } = jsonLinesSink();
    const logger = createRootLogger(new LoggingConfig({ level: 'warn', format: 'json' }), sink);
    logger.info('hidden');
    logger.warn('shown');
    expect(lines.map((l) => l.msg)).toEqual(['shown']);
  });

  it('masks the password of a database URL', () => {
    expect(maskDatabaseUrl('postgres://billing:s3cret@db:5432/billing')).toBe('postgres://billing:***@db:5432/billing');
    expect(maskDatabaseUrl('postgres://postgres@127.0.0.1:5432/billing')).toBe('postgres://postgres@127.0.0.1:5432/billing');
  });
});
