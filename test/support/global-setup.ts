import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Integration tests need the real broker and database: start them (idempotent) before any test file runs. */
export default function globalSetup(): void {
  execFileSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'infra.mjs'), 'up'], { stdio: 'inherit' });
}
