// A TCP proxy on loopback that injects network faults between the service and a dependency (PostgreSQL, a broker):
// silence (a failover or a partition), latency, resets and refused connections. `tc netem` is not available here.
// Node built-ins only and erasable TypeScript, so that plain Node imports it too (see ./package.json).
import net from 'node:net';

export interface FaultProxyOptions {
  /** Where connections go; loopback only. */
  target: { host: string; port: number };
  /** 0 or absent: a free port. Brokers that advertise the proxy need to know it before they start. */
  listenPort?: number;
  /** The proxy closes by itself after this long, so a test that forgets it (or dies) leaves nothing behind. */
  maxLifetimeMs: number;
}

interface Pending {
  due: number;
  chunk: Buffer;
}

/** One direction of one connection: forwards chunks in order, after the proxy's latency, unless the link is silent. */
class Pipe {
  private readonly queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private ended = false;
  private readonly from: net.Socket;
  private readonly to: net.Socket;
  private readonly link: Link;

  constructor(from: net.Socket, to: net.Socket, link: Link) {
    this.from = from;
    this.to = to;
    this.link = link;
    from.on('data', (chunk: Buffer) => this.push(chunk));
    from.on('end', () => this.end());
    to.on('drain', () => from.resume());
  }

  silence(): void {
    this.queue.length = 0;
    clearTimeout(this.timer);
    this.timer = undefined;
    // Keep reading and discard: the peer's kernel still acknowledges, as with a real silent host.
    this.from.resume();
  }

  private push(chunk: Buffer): void {
    if (this.link.silent) return;
    const latency = this.link.proxy.latencyMs;
    if (latency === 0 && this.queue.length === 0) return this.write(chunk);
    this.queue.push({ due: Date.now() + latency, chunk });
    this.schedule();
  }

  private end(): void {
    this.ended = true;
    if (!this.link.silent && this.queue.length === 0) this.to.end();
  }

  private write(chunk: Buffer): void {
    if (!this.to.write(chunk)) this.from.pause();
  }

  private schedule(): void {
    if (this.timer || this.queue.length === 0) return;
    this.timer = setTimeout(() => this.flush(), Math.max(0, this.queue[0].due - Date.now()));
  }

  private flush(): void {
    this.timer = undefined;
    if (this.link.silent) return;
    while (this.queue.length > 0 && this.queue[0].due <= Date.now()) this.write(this.queue.shift()!.chunk);
    if (this.queue.length > 0) this.schedule();
    else if (this.ended) this.to.end();
  }
}

/** A client connection and, unless it was silent from the start, its connection to the target. */
class Link {
  silent = false;
  readonly proxy: FaultProxy;
  readonly client: net.Socket;
  readonly upstream: net.Socket | undefined;
  private readonly pipes: Pipe[] = [];

  constructor(proxy: FaultProxy, client: net.Socket, silent: boolean) {
    this.proxy = proxy;
    this.client = client;
    this.silent = silent;
    client.on('error', () => this.peerFailed(this.upstream));
    if (silent) {
      client.resume();
      return;
    }
    const upstream = net.connect({ host: proxy.target.host, port: proxy.target.port, allowHalfOpen: true });
    this.upstream = upstream;
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    upstream.on('error', () => this.peerFailed(client));
    this.pipes.push(new Pipe(client, upstream, this), new Pipe(upstream, client, this));
  }

  /** The client side is open. */
  get open(): boolean {
    return !this.client.destroyed;
  }

  /** Both sides are gone: nothing left to close. */
  get gone(): boolean {
    return this.client.destroyed && (this.upstream?.destroyed ?? true);
  }

  /** Nothing passes any more, neither bytes nor FIN nor RST; each side stays open until it closes by itself. */
  silence(): void {
    this.silent = true;
    for (const pipe of this.pipes) pipe.silence();
  }

  reset(): void {
    for (const socket of [this.client, this.upstream]) if (socket && !socket.destroyed) socket.resetAndDestroy();
  }

  destroy(): void {
    this.client.destroy();
    this.upstream?.destroy();
  }

  private peerFailed(other: net.Socket | undefined): void {
    if (!this.silent && other && !other.destroyed) other.resetAndDestroy();
  }
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1)$/;

export class FaultProxy {
  readonly target: { host: string; port: number };
  /** Added latency in each direction, in ms. */
  latencyMs = 0;
  private readonly server: net.Server;
  private readonly links = new Set<Link>();
  private silentNew = false;
  private refusing = false;
  private listeningPort = 0;
  private lifetime: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;

  private constructor(target: { host: string; port: number }) {
    this.target = target;
    // Half-open allowed: a FIN is forwarded by hand, so that a silent connection forwards none.
    this.server = net.createServer({ allowHalfOpen: true }, (socket) => this.accept(socket));
  }

  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const { target, maxLifetimeMs, listenPort = 0 } = options;
    if (!LOOPBACK.test(target.host) || net.isIP(target.host) === 0) throw new Error(`FaultProxy: target ${target.host} is not a loopback address`);
    if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) throw new Error(`FaultProxy: bad target port ${target.port}`);
    if (!Number.isFinite(maxLifetimeMs) || maxLifetimeMs <= 0) throw new Error(`FaultProxy: maxLifetimeMs must be a positive number`);
    const proxy = new FaultProxy({ ...target });
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(listenPort, '127.0.0.1', () => {
        proxy.server.off('error', reject);
        proxy.listeningPort = (proxy.server.address() as net.AddressInfo).port;
        // An accept() error (EMFILE) must not crash the test process; that connection is simply lost.
        proxy.server.on('error', () => undefined);
        resolve();
      });
    });
    proxy.lifetime = setTimeout(() => void proxy.close(), maxLifetimeMs);
    proxy.lifetime.unref();
    return proxy;
  }

  /** The port it listens on (127.0.0.1). */
  get port(): number {
    return this.listeningPort;
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** A failover: the connections open now go silent both ways for good; new connections work. */
  silenceExisting(): void {
    for (const link of this.links) link.silence();
  }

  /** A partition: open connections go silent for good, and new ones are accepted but get nothing through. */
  silenceAll(): void {
    this.silenceExisting();
    this.silentNew = true;
  }

  /** Latency added to every chunk in each direction from now on (0 removes it). */
  delay(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`FaultProxy: bad delay ${ms}`);
    this.latencyMs = ms;
  }

  /** Every open connection gets a RST, on both sides. */
  resetAll(): void {
    for (const link of this.links) link.reset();
    this.links.clear();
  }

  /** While on, every new connection is reset as soon as it is accepted. */
  refuseNew(on: boolean): void {
    this.refusing = on;
  }

  /** New connections work normally again, without latency; connections silenced before stay silent. */
  heal(): void {
    this.silentNew = false;
    this.refusing = false;
    this.latencyMs = 0;
  }

  /** Client connections still open, silent ones included. */
  connections(): number {
    for (const link of this.links) if (link.gone) this.links.delete(link);
    return [...this.links].filter((link) => link.open).length;
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      clearTimeout(this.lifetime);
      this.server.close(() => resolve());
      for (const link of this.links) link.destroy();
      this.links.clear();
    });
    return this.closing;
  }

  private accept(socket: net.Socket): void {
    if (this.closing || this.refusing) return void socket.resetAndDestroy();
    for (const link of this.links) if (link.gone) this.links.delete(link);
    this.links.add(new Link(this, socket, this.silentNew));
  }
}
