import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Logger } from 'pino';
import { ROOT_LOGGER } from './root-logger';

/**
 * Makes a signal-driven shutdown visible: one line when it starts and one when the process exits, so an
 * operator can tell a clean stop (consumer drained and committed, database closed) from a SIGKILL.
 */
@Injectable()
export class ShutdownLogger implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger: Logger;
  private startedAt?: number;

  constructor(@Inject(ROOT_LOGGER) root: Logger) {
    this.logger = root.child({ context: 'Shutdown' });
  }

  beforeApplicationShutdown(signal?: string): void {
    if (!signal) return;
    this.startedAt = Date.now();
    this.logger.info({ signal }, 'shutting down: HTTP closes, the consumer finishes in-flight messages and commits, then the database closes');
  }

  onApplicationShutdown(signal?: string): void {
    if (!signal) return;
    // Nest exits right after the last shutdown hook; the exit event is the first moment everything is closed.
    process.once('exit', (code) =>
      this.logger.info({ signal, exit_code: code, duration_ms: Date.now() - (this.startedAt ?? Date.now()) }, 'shutdown complete'),
    );
  }
}
