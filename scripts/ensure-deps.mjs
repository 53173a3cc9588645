// Brings a fresh clone to the project's platform using only Node built-ins: dependencies installed from the lock
// file, and the Node 24 they pin (the `node` dev dependency) running the command.
import { execSync, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { delimiter, resolve } from 'node:path';

const BUNDLED_NODE = resolve('node_modules/.bin/node');

/** The Node line package.json's `engines` asks for: 24.11 or later within 24. */
export function isProjectNode(version = process.versions.node) {
  const [major, minor] = version.split('.').map(Number);
  return major === 24 && minor >= 11;
}

export function ensureDependencies() {
  const installed = 'node_modules/.package-lock.json';
  const stale = !existsSync(installed) || statSync(installed).mtimeMs < statSync('package-lock.json').mtimeMs;
  if (!stale) return;
  // On Node 24 already, skip install scripts: the only one allowed (package.json `allowScripts`) is the `node`
  // package's download of a Node 24 binary, which this machine does not need.
  const command = `npm ci --no-audit --no-fund${isProjectNode() ? ' --ignore-scripts' : ''}`;
  console.log(`> ${command}`);
  execSync(command, { stdio: 'inherit' });
}

/**
 * Installs what is missing, then runs `main` on Node 24: here when this process already is, otherwise by
 * running this script again on the bundled binary (with node_modules/.bin first on PATH, so every `node`,
 * `npx` and `npm run` it starts runs on Node 24 too).
 */
export function onProjectNode(main) {
  ensureDependencies();
  if (isProjectNode()) return main();
  if (!existsSync(BUNDLED_NODE)) throw new Error(`Node ${process.versions.node} is not 24.11+ and ${BUNDLED_NODE} is missing: run \`npm ci\``);
  const env = { ...process.env, PATH: `${resolve('node_modules/.bin')}${delimiter}${process.env.PATH ?? ''}` };
  const child = spawn(BUNDLED_NODE, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
