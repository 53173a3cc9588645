// Writes the environment table of docs/configuration.md from src/config/config-table.ts (`npm run config:docs`);
// with --check (part of `npm run lint`) it writes nothing and fails when the file differs from the table.
import { readFileSync, writeFileSync } from 'node:fs';
import { ENVIRONMENT_TABLE_BEGIN, ENVIRONMENT_TABLE_END, renderEnvironmentTable } from '../src/config/config-table.ts';

const DOCS = new URL('../docs/configuration.md', import.meta.url);
const docsPath = 'docs/configuration.md';

function withGeneratedTable(text: string): string {
  const begin = text.indexOf(ENVIRONMENT_TABLE_BEGIN);
  const end = text.indexOf(ENVIRONMENT_TABLE_END);
  if (begin < 0 || end < begin)
    throw new Error(`${docsPath} lacks the markers of the environment table:\n${ENVIRONMENT_TABLE_BEGIN}\n${ENVIRONMENT_TABLE_END}`);
  return `${text.slice(0, begin)}${ENVIRONMENT_TABLE_BEGIN}\n\n${renderEnvironmentTable()}\n\n${text.slice(end)}`;
}

const current = readFileSync(DOCS, 'utf8');
const generated = withGeneratedTable(current);
if (process.argv.includes('--check')) {
  if (generated !== current) {
    console.error(`${docsPath} does not match src/config/config-table.ts: run \`npm run config:docs\` and commit the result.`);
    process.exit(1);
  }
} else if (generated !== current) {
  writeFileSync(DOCS, generated);
  console.log(`${docsPath}: environment table regenerated`);
}
