import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { BillingError } from '../common/errors';
import { OutboxRepository } from './outbox.repository';
import { ROOT_LOGGER } from '../observability/root-logger';

export class OutboxRowNotFoundError extends BillingError {
  readonly code = 'outbox.not_found';
}

export interface Reannouncement {
  invoice_id: string;
  event_id: string;
  status: 'pending';
}

@Injectable()
export class OutboxService {
  private readonly logger: Logger;

  constructor(
    private readonly repository: OutboxRepository,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ context: 'OutboxRelay' });
  }

  /** For a downstream that lost data: the invoice's announcement goes out again with its original event_id. */
  async reannounce(invoiceId: string): Promise<Reannouncement> {
    const row = await this.repository.requeue(invoiceId);
    if (!row) throw new OutboxRowNotFoundError(`invoice ${invoiceId} has no outbox row (unknown, or purged after publishing)`, { invoice_id: invoiceId });
    this.logger.info({ invoice_id: invoiceId, event_id: row.event_id }, 'invoice re-announced');
    return { invoice_id: invoiceId, event_id: row.event_id, status: 'pending' };
  }
}
