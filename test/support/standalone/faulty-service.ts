// The built service with crash hooks, for the chaos suite and the crash e2e tests: test code, so it lives here and
// not in src/ (nor in the image). Plain Node runs it after a build (ServiceProcess's `script`: FAULTY_SERVICE); it
// plugs its hooks into the service's extension points and starts the service as dist/src/main.js does.
//   BILLING_CHAOS_CRASH_AFTER_COMMIT_EVERY=N   SIGKILL after every N-th committed claim transaction, before the ack
//   BILLING_CHAOS_CRASH_AFTER_PUBLISH_EVERY=N  SIGKILL after every N-th outbox batch the broker acknowledged, before it is marked
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as CommitFaultModule from '../../../src/common/commit-fault-hook';
import type * as MainModule from '../../../src/main';
import type * as OutboxFaultModule from '../../../src/outbox/outbox-fault.hook';

const requireBuilt = createRequire(path.resolve(process.argv[1], '..', '..', '..', '..', 'dist', 'src', 'main.js'));
const { CommitFaultHook } = requireBuilt('./common/commit-fault-hook.js') as typeof CommitFaultModule;
const { OutboxFaultHook } = requireBuilt('./outbox/outbox-fault.hook.js') as typeof OutboxFaultModule;

function crashEvery(name: string): number {
  const value = process.env[name] ?? '0';
  if (!/^\d{1,7}$/.test(value)) throw new Error(`${name} must be a whole number, got "${value}"`);
  return Number(value);
}

/** A counter that SIGKILLs this process on every n-th call: no shutdown hook runs, as in a real crash. */
function killEvery(n: number): () => void {
  let calls = 0;
  return () => {
    if (++calls % n === 0) process.kill(process.pid, 'SIGKILL');
  };
}

class CrashEveryNthCommit extends CommitFaultHook {
  private readonly tick: () => void;

  constructor(every: number) {
    super();
    this.tick = killEvery(every);
  }

  afterCommit(): void {
    this.tick();
  }
}

class CrashEveryNthPublish extends OutboxFaultHook {
  private readonly tick: () => void;

  constructor(every: number) {
    super();
    this.tick = killEvery(every);
  }

  afterPublish(): Promise<void> {
    this.tick();
    return Promise.resolve();
  }
}

const commitEvery = crashEvery('BILLING_CHAOS_CRASH_AFTER_COMMIT_EVERY');
const publishEvery = crashEvery('BILLING_CHAOS_CRASH_AFTER_PUBLISH_EVERY');
const { serve } = requireBuilt('./main.js') as typeof MainModule;
serve({
  ...(commitEvery > 0 && { commitFault: new CrashEveryNthCommit(commitEvery) }),
  ...(publishEvery > 0 && { outboxFault: new CrashEveryNthPublish(publishEvery) }),
});
