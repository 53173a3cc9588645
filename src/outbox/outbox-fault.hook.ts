import { Injectable } from '@nestjs/common';
import { TestHooksConfig } from '../config/configuration';

/**
 * Fault injection between the broker's acknowledgement and the mark: a no-op in production (the setting is 0);
 * the chaos suite kills the process there, and tests override this provider to fail there.
 */
@Injectable()
export class OutboxFaultHook {
  private published = 0;

  constructor(private readonly testHooks: TestHooksConfig) {}

  afterPublish(): Promise<void> {
    const every = this.testHooks.crashAfterPublishEvery;
    if (every > 0 && ++this.published % every === 0) process.kill(process.pid, 'SIGKILL');
    return Promise.resolve();
  }
}
