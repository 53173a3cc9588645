// The one script in plain JavaScript, because a fresh clone runs it on whatever Node it has (20 on Debian): it
// installs the dependencies from the lock file, among them the Node 24 they pin (the `node` dev dependency), and
// runs the TypeScript entry point it is given on that Node 24, which strips the types itself.
//   node scripts/bootstrap.mjs [<entry.ts> [args...]]   without an entry: install only
import { execSync, spawn } from 'node:child_process';
import { existsSync, lstatSync, statSync } from 'node:fs';
import { delimiter, resolve } from 'node:path';

const BIN = resolve('node_modules/.bin');
const [major, minor] = process.versions.node.split('.').map(Number);
/** The Node line package.json's `engines` asks for: 24.11 or later within 24. */
const onProjectNode = major === 24 && minor >= 11;

function ensureDependencies() {
  // A symlinked node_modules is an install shared with other checkouts (git worktrees): npm ci would empty its target.
  if (existsSync('node_modules') && lstatSync('node_modules').isSymbolicLink()) return;
  const installed = 'node_modules/.package-lock.json';
  const stale = !existsSync(installed) || statSync(installed).mtimeMs < statSync('package-lock.json').mtimeMs;
  if (!stale) return;
  // On Node 24 already, skip install scripts: the only one allowed (package.json `allowScripts`) is the `node`
  // package's download of a Node 24 binary, which this machine does not need.
  const command = `npm ci --no-audit --no-fund${onProjectNode ? ' --ignore-scripts' : ''}`;
  console.log(`> ${command}`);
  execSync(command, { stdio: 'inherit' });
}

/** node_modules/.bin first on PATH, so every `node`, `npx` and `npm run` the entry point starts runs on Node 24 too. */
function runOnProjectNode(entry, args) {
  const node = onProjectNode ? process.execPath : resolve(BIN, 'node');
  if (!existsSync(node)) throw new Error(`Node ${process.versions.node} is not 24.11+ and ${node} is missing: run \`npm ci\``);
  const env = { ...process.env, PATH: `${BIN}${delimiter}${process.env.PATH ?? ''}` };
  const child = spawn(node, [...process.execArgv, entry, ...args], { stdio: 'inherit', env });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

ensureDependencies();
const [entry, ...args] = process.argv.slice(2);
if (entry) runOnProjectNode(entry, args);
