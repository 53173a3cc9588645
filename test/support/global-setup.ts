import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/**
 * Integration tests need the real broker and database (and Prometheus for the alert test, librdkafka's kcat for the
 * codec test): start or install them first. The built service is built here, once, before any worker starts: two workers building into one dist/ at
 * once could each spawn a half-written file. Asynchronously: jest's file-crawling workers end while this runs, and a
 * blocked event loop would see their exit only after jest's grace period, then report them as force-exited.
 */
export default async function globalSetup(): Promise<void> {
  await run(process.execPath, [join(ROOT, 'infra', 'cli.ts'), 'up']);
  await run(process.execPath, [join(ROOT, 'infra', 'cli.ts'), 'kcat']);
  await run(process.execPath, [join(ROOT, 'scripts', 'prometheus.ts'), 'ensure']);
  await run('npm', ['run', 'build', '--silent']);
}

function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`})`))));
  });
}
