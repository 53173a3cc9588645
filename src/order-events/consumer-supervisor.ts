import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { ROOT_LOGGER } from '../observability/root-logger';

/** Exit code for a consumer that kafkajs abandoned (EX_SOFTWARE): the supervisor restarts the process. */
export const CONSUMER_DEAD_EXIT_CODE = 70;

/**
 * The last line of defence: should kafkajs stop the consumer for good, the process exits non-zero so that its
 * supervisor (Kubernetes, compose, systemd) restarts it, rather than a live process answering with a dead consumer.
 */
@Injectable()
export class ConsumerSupervisor {
  private readonly logger: Logger;

  constructor(@Inject(ROOT_LOGGER) root: Logger) {
    this.logger = root.child({ context: 'OrderEventsConsumer' });
  }

  consumerDied(error: Error): void {
    this.logger.fatal({ error: { name: error.name, message: error.message } }, 'Kafka consumer stopped for good; exiting so the process is restarted');
    process.exit(CONSUMER_DEAD_EXIT_CODE);
  }
}
