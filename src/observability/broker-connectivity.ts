import { Logger } from 'pino';
import { BrokerSilenceListener } from '../transport-security/bounded-kafka';

/**
 * A connection dropped for silence counts as down until its client has heard from that broker again and this long
 * has passed since the drop: a reconnect takes a fraction of a second, which no probe or scrape would ever see.
 */
export const SILENT_BROKER_REPORTED_FOR_MS = 5_000;

export interface SilentBroker {
  client: string;
  broker: string;
  request: string;
  since: Date;
  answered: boolean;
}

/** What /health says about the service's own Kafka connections: which client found which broker silent. */
export class BrokerConnectivity implements BrokerSilenceListener {
  private readonly silentByKey = new Map<string, SilentBroker>();

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  silent(client: string, broker: string, request: string, dropped: number): void {
    const key = `${client}|${broker}`;
    const known = this.silentByKey.get(key);
    const since = known && !known.answered ? known.since : new Date(this.now());
    this.silentByKey.set(key, { client, broker, request, since, answered: false });
    this.logger.warn({ client, broker, request, dropped_connections: dropped }, 'Kafka broker connection silent: request timed out, connection dropped');
  }

  answered(client: string, broker: string): void {
    const entry = this.silentByKey.get(`${client}|${broker}`);
    if (entry && !entry.answered) {
      entry.answered = true;
      this.logger.info({ client, broker, silent_since: entry.since.toISOString() }, 'Kafka broker answers again');
    }
  }

  /** The connections still down: silent and not answered since, or answered too recently to be seen as up. */
  silentBrokers(): SilentBroker[] {
    const now = this.now();
    for (const [key, entry] of this.silentByKey) {
      if (entry.answered && now - entry.since.getTime() >= SILENT_BROKER_REPORTED_FOR_MS) this.silentByKey.delete(key);
    }
    return [...this.silentByKey.values()];
  }
}
