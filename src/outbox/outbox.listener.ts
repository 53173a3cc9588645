import { Injectable, Logger } from '@nestjs/common';
import { Client } from 'pg';
import { DatabaseConfig } from '../config/configuration';
import { OUTBOX_CHANNEL } from './outbox.repository';

/**
 * LISTENs for the outbox trigger's NOTIFY (sent only when an insert commits) on a connection of its own. A
 * lost connection is reopened on the next poll; the relay's polling covers whatever was missed meanwhile.
 */
@Injectable()
export class OutboxListener {
  private readonly logger = new Logger('OutboxRelay');
  private client?: Client;

  constructor(private readonly database: DatabaseConfig) {}

  async ensureListening(onNotify: () => void): Promise<void> {
    if (this.client) return;
    const client = new Client({ connectionString: this.database.url });
    const drop = () => {
      if (this.client === client) this.client = undefined;
      void client.end().catch(() => undefined);
    };
    client.on('error', (error) => {
      this.logger.warn({ msg: 'outbox LISTEN connection lost; polling until it is back', error: error.message });
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
