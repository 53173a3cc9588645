// Installs dependencies when a fresh clone has none (or the lock file changed), using only Node built-ins.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

export function ensureDependencies() {
  const installed = 'node_modules/.package-lock.json';
  const stale = !existsSync(installed) || statSync(installed).mtimeMs < statSync('package-lock.json').mtimeMs;
  if (!stale) return;
  // `npm install` rather than `npm ci`: npm 11's ci rejects this lock file over optional bindings of other platforms.
  console.log('> npm install');
  execSync('npm install --no-audit --no-fund', { stdio: 'inherit' });
}
