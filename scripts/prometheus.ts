// Usage: node scripts/prometheus.ts ensure | test-rules
// Prometheus and promtool come from Debian's `prometheus` package; CI runs as root on a fresh machine, so a missing
// package is installed here rather than documented as a manual step.
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RULES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'deploy', 'prometheus');

function onPath(binary: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0;
}

function ensurePrometheus(): void {
  if (onPath('promtool') && onPath('prometheus')) return;
  if (process.getuid?.() !== 0) {
    throw new Error('promtool and prometheus are missing: install the Debian package (apt-get install -y prometheus) as root');
  }
  console.log('[prometheus] installing the Debian package prometheus (promtool, prometheus)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'prometheus'], { stdio: 'inherit', env });
}

function testRules(): void {
  ensurePrometheus();
  execFileSync('promtool', ['check', 'rules', 'billing-alerts.yml'], { cwd: RULES_DIR, stdio: 'inherit' });
  execFileSync('promtool', ['test', 'rules', 'billing-alerts.test.yml'], { cwd: RULES_DIR, stdio: 'inherit' });
}

const commands: Record<string, () => void> = { ensure: ensurePrometheus, 'test-rules': testRules };
const command: (() => void) | undefined = commands[process.argv[2]];
if (!command) {
  console.error('Usage: node scripts/prometheus.ts ensure | test-rules');
  process.exit(2);
}
try {
  command();
} catch (error) {
  console.error(`[prometheus] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
