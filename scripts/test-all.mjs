// The one command that runs every check: static checks first (cheap), then tests on the real broker and database.
import { execSync } from 'node:child_process';
import { onProjectNode } from './ensure-deps.mjs';

const steps = [
  ['lint (ESLint, module boundaries)', 'npm run --silent lint'],
  ['typecheck', 'npm run --silent typecheck'],
  ['alert rules (promtool check and unit tests)', 'npm run --silent test:rules'],
  ['infrastructure', 'node infra/cli.ts up'],
  ['migrations match entities', 'npm run --silent migration:check'],
  ['unit and integration tests', 'npx jest --ci'],
  ['chaos suite (private broker and database)', 'npm run --silent test:chaos'],
];

onProjectNode(() => {
  const started = Date.now();
  console.log(`Node ${process.versions.node}`);
  for (const [name, command] of steps) {
    const stepStarted = Date.now();
    console.log(`\n=== ${name}: ${command}`);
    try {
      execSync(command, { stdio: 'inherit' });
    } catch {
      console.error(`\n=== FAILED: ${name}`);
      process.exit(1);
    }
    console.log(`=== ${name} ok (${((Date.now() - stepStarted) / 1000).toFixed(1)} s)`);
  }
  console.log(`\nall checks passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
