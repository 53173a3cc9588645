import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/**
 * Integration tests need the real broker and database (and Prometheus for the alert test, librdkafka's kcat for the
 * codec test): start or install them first. The built service is built here, once, before any worker starts: two workers building into one dist/ at
 * once could each spawn a half-written file.
 */
export default function globalSetup(): void {
  execFileSync(process.execPath, [join(ROOT, 'infra', 'cli.ts'), 'up'], { stdio: 'inherit' });
  execFileSync(process.execPath, [join(ROOT, 'infra', 'cli.ts'), 'kcat'], { stdio: 'inherit' });
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'prometheus.ts'), 'ensure'], { stdio: 'inherit' });
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
}
