import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Logger } from 'pino';
import { ConsumerPolicyConfig } from '../config/configuration';
import { ROOT_LOGGER } from '../observability/root-logger';
import { isTransportSecurityFailure } from '../transport-security/boot-failure';
import { cappedBackoffMs } from '../common/backoff';

/** Exit code for a consumer that kafkajs abandoned (EX_SOFTWARE): the supervisor restarts the process. */
export const CONSUMER_DEAD_EXIT_CODE = 70;

/**
 * The last line of defence: should kafkajs stop the consumer for good, the process exits non-zero so that its
 * supervisor (Kubernetes, compose, systemd) restarts it, rather than a live process answering with a dead consumer.
 * A refused login or certificate is different: kafkajs gives up on it at once, but on a running service it is a
 * rotation in progress, so the consumer is restarted in place with the retry backoff (and /health is 503 meanwhile).
 */
@Injectable()
export class ConsumerSupervisor implements OnApplicationShutdown {
  private readonly logger: Logger;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    @Inject(ROOT_LOGGER) root: Logger,
    private readonly policy: ConsumerPolicyConfig,
  ) {
    this.logger = root.child({ context: 'OrderEventsConsumer' });
  }

  consumerDied(error: Error, restart?: () => Promise<void>): void {
    if (restart && isTransportSecurityFailure(error)) return this.restartLater(error, restart, 0);
    this.logger.fatal({ error: { name: error.name, message: error.message } }, 'Kafka consumer stopped for good; exiting so the process is restarted');
    process.exit(CONSUMER_DEAD_EXIT_CODE);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private restartLater(error: Error, restart: () => Promise<void>, attempt: number): void {
    if (this.stopped) return;
    const delayMs = cappedBackoffMs(attempt, this.policy.retryInitialMs, this.policy.retryMaxMs);
    this.logger.warn(
      { error: { name: error.name, message: error.message }, retry_in_ms: delayMs },
      'Kafka refused the connection (authentication or certificate); retrying',
    );
    this.timer = setTimeout(() => {
      if (this.stopped) return;
      // Whatever stops the restart belongs to the same outage (the broker may still be coming back): try again.
      restart().catch((failure: Error) => this.restartLater(failure, restart, attempt + 1));
    }, delayMs);
  }
}
