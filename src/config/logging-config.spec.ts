import { ConfigValidationError } from './env-reader';
import { loadConfig } from './configuration';

const SECRET = 'a'.repeat(32);

describe('loadConfig: logging', () => {
  it('logs JSON at info in production and pretty lines elsewhere', () => {
    expect(loadConfig({ AUTH_JWT_SECRET: SECRET, NODE_ENV: 'production' }).logging).toEqual({ level: 'info', format: 'json' });
    expect(loadConfig({ AUTH_JWT_SECRET: SECRET, NODE_ENV: 'development' }).logging).toEqual({ level: 'info', format: 'pretty' });
    expect(loadConfig({ AUTH_JWT_SECRET: SECRET }).logging.format).toBe('pretty');
  });

  it('lets LOG_FORMAT and LOG_LEVEL override the defaults', () => {
    expect(loadConfig({ AUTH_JWT_SECRET: SECRET, NODE_ENV: 'production', LOG_FORMAT: 'Pretty', LOG_LEVEL: 'DEBUG' }).logging).toEqual({
      level: 'debug',
      format: 'pretty',
    });
  });

  it('names each bad logging variable', () => {
    let problems: string[] = [];
    try {
      loadConfig({ AUTH_JWT_SECRET: SECRET, LOG_FORMAT: 'xml', LOG_LEVEL: 'loud' });
    } catch (error) {
      if (!(error instanceof ConfigValidationError)) throw error;
      problems = error.problems;
    }
    expect(problems).toEqual([
      'LOG_FORMAT must be json or pretty, got "xml"',
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    ]);
  });
});
