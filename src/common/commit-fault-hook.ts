import { TestHooksConfig } from '../config/configuration';

/**
 * Called after a transaction that did work commits, before anything is acknowledged: the window where a crash
 * must not bill twice. Production binds the no-op; the chaos suite (BILLING_CHAOS_CRASH_AFTER_COMMIT_EVERY)
 * binds CrashEveryNthCommit through the typed test-hooks config.
 */
export abstract class CommitFaultHook {
  abstract afterCommit(): void;
}

export class NoCommitFault extends CommitFaultHook {
  afterCommit(): void {}
}

export class CrashEveryNthCommit extends CommitFaultHook {
  private commits = 0;

  constructor(private readonly every: number) {
    super();
  }

  afterCommit(): void {
    if (++this.commits % this.every === 0) process.kill(process.pid, 'SIGKILL');
  }
}

export function commitFaultHookFor(hooks: TestHooksConfig): CommitFaultHook {
  return hooks.crashAfterCommitEvery > 0 ? new CrashEveryNthCommit(hooks.crashAfterCommitEvery) : new NoCommitFault();
}
