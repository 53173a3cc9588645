// The one command that runs every check (`npm test`, through scripts/bootstrap.mjs): static checks first (cheap),
// then tests on the real broker and database.
import { execSync } from 'node:child_process';

type Step = readonly [name: string, command: string];

const steps: readonly Step[] = [
  ['lint (ESLint, module boundaries)', 'npm run --silent lint'],
  ['typecheck', 'npm run --silent typecheck'],
  ['alert rules (promtool check and unit tests)', 'npm run --silent test:rules'],
  ['infrastructure', 'node infra/cli.ts up'],
  ['migrations match entities', 'npm run --silent migration:check'],
  ['unit and integration tests', 'npx jest --ci'],
  ['chaos suite (private broker and database)', 'npm run --silent test:chaos'],
];

const seconds = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** One line per stage at the very end, so the outcome of each is readable without scrolling back. */
function printSummary(outcomes: readonly string[], started: number): void {
  console.log('\n=== summary');
  steps.forEach(([name], index) => console.log(`${outcomes[index].padEnd(16)} ${name}`));
  const failed = outcomes.some((outcome) => outcome.startsWith('FAILED'));
  console.log(failed ? `checks FAILED after ${seconds(started)}` : `all checks passed in ${seconds(started)}`);
}

const started = Date.now();
const outcomes = steps.map(() => 'not run');
console.log(`Node ${process.versions.node}`);
for (const [index, [name, command]] of steps.entries()) {
  const stepStarted = Date.now();
  console.log(`\n=== ${name}: ${command}`);
  try {
    execSync(command, { stdio: 'inherit' });
    outcomes[index] = `ok ${seconds(stepStarted)}`;
  } catch {
    outcomes[index] = `FAILED ${seconds(stepStarted)}`;
    printSummary(outcomes, started);
    process.exit(1);
  }
}
printSummary(outcomes, started);
