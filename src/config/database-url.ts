import { Env, EnvReader } from './env-reader';
import { DatabaseUrlError, postgresConnection } from './postgres-tls';

export function readDatabaseUrl(env: EnvReader): string {
  const url = env.secret('DATABASE_URL');
  // Empty only when DATABASE_URL_FILE failed, which is already reported.
  if (url === '') return url;
  if (!/^postgres(ql)?:\/\/.+/.test(url)) {
    env.check('DATABASE_URL', false, 'must be a postgres:// URL');
    return url;
  }
  try {
    postgresConnection(url);
  } catch (error) {
    env.check('DATABASE_URL', false, error instanceof DatabaseUrlError ? error.message : 'is not a valid URL');
  }
  return url;
}

/** The migration CLI needs only the database, not the whole service configuration. */
export function loadDatabaseUrl(rawEnv: Env): string {
  const env = new EnvReader(rawEnv);
  const url = readDatabaseUrl(env);
  env.assertValid();
  return url;
}
