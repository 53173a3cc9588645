import { Logger } from 'pino';
import { BrokerSilenceListener } from '../kafka/bounded-kafka';

/**
 * A connection dropped for silence counts as down until that broker has answered any client of the process again and
 * this long has passed since the drop: a reconnect takes a fraction of a second, which no probe or scrape would ever see.
 */
export const SILENT_BROKER_REPORTED_FOR_MS = 5_000;

/**
 * A drop no request of any client has followed, neither an answer nor another timeout, counts as down for this long.
 * A client that keeps using a broker which is still silent times out again within one request timeout plus kafkajs'
 * retry backoff, which renews the entry; a client that never sends again (the DLT producer without poison, the outbox
 * producer at night) must not hold /health down for good.
 */
export function quietBrokerClearsAfterMs(requestTimeoutMs: number): number {
  return Math.max(SILENT_BROKER_REPORTED_FOR_MS, 2 * requestTimeoutMs);
}

export interface SilentBroker {
  client: string;
  broker: string;
  request: string;
  since: Date;
  /** The latest request of this client to this broker that timed out. */
  lastTimeout: Date;
  answered: boolean;
}

/** What /health says about the service's own Kafka connections: which client found which broker silent. */
export class BrokerConnectivity implements BrokerSilenceListener {
  private readonly silentByKey = new Map<string, SilentBroker>();

  constructor(
    private readonly logger: Logger,
    private readonly quietClearsAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  silent(client: string, broker: string, request: string, dropped: number): void {
    const key = `${client}|${broker}`;
    const known = this.silentByKey.get(key);
    const at = new Date(this.now());
    const since = known && !known.answered ? known.since : at;
    this.silentByKey.set(key, { client, broker, request, since, lastTimeout: at, answered: false });
    this.logger.warn({ client, broker, request, dropped_connections: dropped }, 'Kafka broker connection silent: request timed out, connection dropped');
  }

  /** Any client's answer counts: the dropped client reconnects on its next request, and a broker that answers this process is reachable. */
  answered(client: string, broker: string): void {
    for (const entry of this.silentByKey.values()) {
      if (entry.broker !== broker || entry.answered) continue;
      entry.answered = true;
      this.logger.info({ client: entry.client, broker, answered_client: client, silent_since: entry.since.toISOString() }, 'Kafka broker answers again');
    }
  }

  /** The connections still down: silent and not answered since, or answered too recently to be seen as up. */
  silentBrokers(): SilentBroker[] {
    const now = this.now();
    for (const [key, entry] of this.silentByKey) {
      const answeredLongEnough = entry.answered && now - entry.since.getTime() >= SILENT_BROKER_REPORTED_FOR_MS;
      const quietLongEnough = now - entry.lastTimeout.getTime() >= this.quietClearsAfterMs;
      if (answeredLongEnough || quietLongEnough) this.silentByKey.delete(key);
    }
    return [...this.silentByKey.values()];
  }
}
