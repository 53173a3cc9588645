// The README's "run the service" command (`npm start`, through scripts/bootstrap.mjs): starts Kafka and PostgreSQL,
// migrates, builds and runs the service on Node 24 with the heap flags production uses.
import { execSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { SERVICE_MAIN, SHIPPED_NODE_ARGS } from '../test/support/standalone/service-process.ts';

/** A development secret kept on this machine only, so a fresh clone starts without hand-written config. */
function devJwtSecret(): string {
  const file = '.infra/dev-jwt-secret';
  if (!existsSync(file)) {
    mkdirSync('.infra', { recursive: true });
    writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

const run = (command: string): void => void execSync(command, { stdio: 'inherit' });

run('node infra/cli.ts up');
run('npm run --silent migration:run');
// With an identity provider configured (docs/security.md, Authentication), a dev secret would make a mixed configuration.
const provider = ['AUTH_ISSUER', 'AUTH_JWKS_URL', 'AUTH_AUDIENCE'].some((name) => process.env[name]);
const env = provider ? process.env : { ...process.env, AUTH_JWT_SECRET: process.env.AUTH_JWT_SECRET ?? devJwtSecret() };
const service = spawn(process.execPath, [...SHIPPED_NODE_ARGS, SERVICE_MAIN], { stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => service.kill(signal));
service.on('exit', (code) => process.exit(code ?? 0));
