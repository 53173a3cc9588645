import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

describe('npm run infra:up (the shared broker and database, already started by the suite)', () => {
  it('answers on stdout only: its kafkajs probe arms no negative timer (no TimeoutNegativeWarning)', () => {
    // Without npm's node-options, which silence that warning for the tests' own clients.
    const { NODE_OPTIONS: _silenced, ...env } = process.env;
    const run = spawnSync(process.execPath, ['infra/cli.ts', 'up'], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(run.stdout).toMatch(/^\[infra\] PostgreSQL ready; Kafka (already running|already answering|started)/m);
  });
});
