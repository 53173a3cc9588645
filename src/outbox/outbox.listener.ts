import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { Client } from 'pg';
import { DatabaseConfig } from '../config/configuration';
import { BoundedPgClient } from '../database/bounded-pg-client';
import { connectionBounds } from '../database/data-source-options';
import { OUTBOX_CHANNEL } from './outbox.repository';
import { ROOT_LOGGER } from '../observability/root-logger';

/**
 * LISTENs for the outbox trigger's NOTIFY (sent only when an insert commits) on a connection of its own. A
 * lost connection is reopened on the next poll; the relay's polling covers whatever was missed meanwhile.
 */
@Injectable()
export class OutboxListener {
  private readonly logger: Logger;
  private client?: Client;

  constructor(
    private readonly database: DatabaseConfig,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ context: 'OutboxRelay' });
  }

  async ensureListening(onNotify: () => void): Promise<void> {
    if (this.client) return;
    const { Client: _pool, ...bounds } = connectionBounds(this.database);
    const client = new BoundedPgClient({ connectionString: this.database.url, ...bounds, query_timeout: this.database.queryTimeoutMs });
    const drop = () => {
      if (this.client === client) this.client = undefined;
      void client.end().catch(() => undefined);
    };
    client.on('error', (error) => {
      this.logger.warn({ error: error.message }, 'outbox LISTEN connection lost; polling until it is back');
      drop();
    });
    client.on('end', drop);
    client.on('notification', onNotify);
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
    } catch (error) {
      drop();
      throw error;
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
