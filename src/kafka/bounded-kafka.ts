import net from 'node:net';
import tls from 'node:tls';
import { Admin, AdminConfig, Consumer, ConsumerConfig, ISocketFactory, Kafka, KafkaConfig, Producer, ProducerConfig } from 'kafkajs';

/** Told what the connections of one kafkajs client to one broker are doing. */
export interface BrokerSilenceListener {
  /** A request to `broker` went unanswered for its whole timeout; the client's connections to it were dropped. */
  silent(client: string, broker: string, request: string, dropped: number): void;
  /** `broker` answered a request of this client. */
  answered(client: string, broker: string): void;
}

/** Keepalive finds a peer whose host vanished; it cannot find one whose kernel still acknowledges (a failover). */
const KEEP_ALIVE_DELAY_MS = 10_000;

type Client = Consumer | Producer | Admin;

interface RequestEvent {
  payload: { broker: string; clientId: string; apiName?: string };
}

/**
 * A kafkajs client that never waits on a silent broker connection. kafkajs times a request out
 * (enforceRequestTimeout) but keeps the socket it was sent on, so every later request on it times out too and a
 * consumer keeps fetching from a connection that will never answer. Here a timed-out request drops every
 * connection this client holds to that broker; kafkajs then reconnects on its next request.
 */
export class BoundedKafka extends Kafka {
  private readonly sockets: BrokerSockets;
  private readonly listener?: BrokerSilenceListener;
  private readonly clientId: string;

  constructor(config: KafkaConfig, listener?: BrokerSilenceListener) {
    const sockets = new BrokerSockets();
    super({ enforceRequestTimeout: true, ...config, socketFactory: sockets.create });
    this.sockets = sockets;
    this.listener = listener;
    this.clientId = config.clientId ?? 'kafkajs';
  }

  override consumer(config: ConsumerConfig): Consumer {
    return this.watch(super.consumer(config));
  }

  override producer(config?: ProducerConfig): Producer {
    return this.watch(super.producer(config));
  }

  override admin(config?: AdminConfig): Admin {
    return this.watch(super.admin(config));
  }

  private watch<T extends Client>(client: T): T {
    const on = client.on.bind(client) as (event: string, listener: (event: RequestEvent) => void) => void;
    on(client.events.REQUEST_TIMEOUT, ({ payload }) => {
      const dropped = this.sockets.drop(payload.broker);
      this.listener?.silent(this.clientId, payload.broker, payload.apiName ?? 'request', dropped);
    });
    if (this.listener) on(client.events.REQUEST, ({ payload }) => this.listener?.answered(this.clientId, payload.broker));
    return client;
  }
}

/** The open sockets of one kafkajs client, by broker ("host:port", as kafkajs names it in its events). */
export class BrokerSockets {
  private readonly open = new Map<string, Set<net.Socket>>();

  readonly create: ISocketFactory = ({ host, port, ssl, onConnect }) => {
    const socket = ssl
      ? tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
      : net.connect({ host, port }, onConnect);
    socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
    const broker = `${host}:${port}`;
    const sockets = this.open.get(broker) ?? new Set();
    this.open.set(broker, sockets.add(socket));
    socket.once('close', () => sockets.delete(socket));
    return socket;
  };

  /** Destroys with an error, which kafkajs handles as a broken connection: it fails what was in flight and reconnects. */
  drop(broker: string): number {
    const sockets = [...(this.open.get(broker) ?? [])];
    for (const socket of sockets) socket.destroy(new Error(`no answer from ${broker} within the request timeout; connection dropped`));
    return sockets.length;
  }
}
