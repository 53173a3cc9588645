import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const script = (name: string) => join(__dirname, '..', '..', 'scripts', name);

/** Integration tests need the real broker and database (and Prometheus for the alert test): start or install them first. */
export default function globalSetup(): void {
  execFileSync(process.execPath, [script('infra.mjs'), 'up'], { stdio: 'inherit' });
  execFileSync(process.execPath, [script('prometheus.mjs'), 'ensure'], { stdio: 'inherit' });
}
