import { Env, EnvReader } from './env-reader';

export function readDatabaseUrl(env: EnvReader): string {
  const url = env.string('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/billing');
  env.check('DATABASE_URL', /^postgres(ql)?:\/\/.+/.test(url), 'must be a postgres:// URL');
  return url;
}

/** The migration CLI needs only the database, not the whole service configuration. */
export function loadDatabaseUrl(rawEnv: Env): string {
  const env = new EnvReader(rawEnv);
  const url = readDatabaseUrl(env);
  env.assertValid();
  return url;
}
