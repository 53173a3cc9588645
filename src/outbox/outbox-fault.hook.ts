import { TestHooksConfig } from '../config/configuration';

/**
 * Called after the broker acknowledged an outbox batch and before it is marked published: the window where a crash
 * must only repeat announcements. Production binds the no-op; the test hooks (BILLING_CHAOS_CRASH_AFTER_PUBLISH_EVERY)
 * bind CrashEveryNthPublish, and tests override the provider to fail there.
 */
export abstract class OutboxFaultHook {
  abstract afterPublish(): Promise<void>;
}

export class NoPublishFault extends OutboxFaultHook {
  afterPublish(): Promise<void> {
    return Promise.resolve();
  }
}

export class CrashEveryNthPublish extends OutboxFaultHook {
  private published = 0;

  constructor(private readonly every: number) {
    super();
  }

  afterPublish(): Promise<void> {
    if (++this.published % this.every === 0) process.kill(process.pid, 'SIGKILL');
    return Promise.resolve();
  }
}

export function outboxFaultHookFor(hooks: TestHooksConfig): OutboxFaultHook {
  return hooks.crashAfterPublishEvery > 0 ? new CrashEveryNthPublish(hooks.crashAfterPublishEvery) : new NoPublishFault();
}
