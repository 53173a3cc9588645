import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** Integration tests need the real broker and database (and Prometheus for the alert test): start or install them first. */
export default function globalSetup(): void {
  execFileSync(process.execPath, [join(ROOT, 'infra', 'cli.ts'), 'up'], { stdio: 'inherit' });
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'prometheus.mjs'), 'ensure'], { stdio: 'inherit' });
}
