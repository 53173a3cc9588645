// librdkafka's kcat, from Debian: the tests publish with it what Java and Go producers send (compressed batches).
import { spawnSync } from 'node:child_process';
import { InfraError, log } from './common.ts';

const APT_LOCK_TIMEOUT_S = '300';

function kcatVersion(): string | null {
  const r = spawnSync('kcat', ['-V'], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  return `kcat ${r.stdout.split('\n').find((line) => line.startsWith('Version')) ?? ''}`.trim();
}

function aptGet(args: string[]): { ok: boolean; output: string } {
  const r = spawnSync('apt-get', ['-o', `DPkg::Lock::Timeout=${APT_LOCK_TIMEOUT_S}`, ...args], {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** Installs kcat with apt-get when it is missing (CI runs as root on Debian); returns its version line. */
export function ensureKcat(): string {
  const present = kcatVersion();
  if (present) return present;
  if (process.getuid?.() !== 0) throw new InfraError("kcat is missing and installing it needs root: run 'apt-get install kcat' (Debian) as root.");
  log('installing kcat (apt-get)');
  let install = aptGet(['install', '-y', '--no-install-recommends', 'kcat']);
  // A fresh machine has no package lists yet.
  if (!install.ok && aptGet(['update']).ok) install = aptGet(['install', '-y', '--no-install-recommends', 'kcat']);
  const installed = kcatVersion();
  if (!installed) throw new InfraError(`apt-get could not install kcat:\n${install.output.slice(-2000)}`);
  return installed;
}
