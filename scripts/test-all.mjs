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

const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** One line per stage at the very end, so the outcome of each is readable without scrolling back. */
function printSummary(results, started) {
  console.log('\n=== summary');
  for (const [name, outcome] of results) console.log(`${outcome.padEnd(16)} ${name}`);
  const failed = results.some(([, outcome]) => outcome.startsWith('FAILED'));
  console.log(failed ? `checks FAILED after ${seconds(started)}` : `all checks passed in ${seconds(started)}`);
}

onProjectNode(() => {
  const started = Date.now();
  const results = steps.map(([name]) => [name, 'not run']);
  console.log(`Node ${process.versions.node}`);
  for (const [index, [name, command]] of steps.entries()) {
    const stepStarted = Date.now();
    console.log(`\n=== ${name}: ${command}`);
    try {
      execSync(command, { stdio: 'inherit' });
      results[index][1] = `ok ${seconds(stepStarted)}`;
    } catch {
      results[index][1] = `FAILED ${seconds(stepStarted)}`;
      printSummary(results, started);
      process.exit(1);
    }
  }
  printSummary(results, started);
});
