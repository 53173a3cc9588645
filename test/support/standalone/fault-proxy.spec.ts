import net from 'node:net';
import { once } from 'node:events';
import { FaultProxy } from './fault-proxy';
import { freePort } from './service-process';

/** An echo server on loopback that remembers its sockets and what each one received. */
class EchoServer {
  readonly sockets: { socket: net.Socket; received: string; ended: boolean }[] = [];
  private readonly server = net.createServer((socket) => {
    const entry = { socket, received: '', ended: false };
    this.sockets.push(entry);
    socket.on('data', (chunk: Buffer) => {
      entry.received += chunk.toString();
      socket.write(chunk);
    });
    socket.on('end', () => (entry.ended = true));
    socket.on('error', () => undefined);
  });

  async start(): Promise<number> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const { socket } of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** A client that records everything that happens to its socket. */
class Client {
  received = '';
  events: string[] = [];
  readonly socket: net.Socket;

  constructor(port: number) {
    this.socket = net.connect({ host: '127.0.0.1', port });
    this.socket.on('data', (chunk: Buffer) => (this.received += chunk.toString()));
    for (const event of ['end', 'close']) this.socket.on(event, () => this.events.push(event));
    this.socket.on('error', (error: NodeJS.ErrnoException) => this.events.push(error.code ?? 'error'));
  }

  async connected(): Promise<void> {
    if (this.socket.connecting) await once(this.socket, 'connect');
  }

  /** Sends `text` and waits until it came back. */
  async roundTrip(text: string): Promise<void> {
    const expected = this.received + text;
    this.socket.write(text);
    await until(() => this.received === expected || this.events.length > 0);
    expect(this.received).toBe(expected);
  }

  async closedWith(): Promise<string[]> {
    await until(() => this.events.includes('close'));
    return this.events;
  }
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('FaultProxy', () => {
  let echo: EchoServer;
  let proxy: FaultProxy;
  const clients: Client[] = [];
  const client = async (): Promise<Client> => {
    const c = new Client(proxy.port);
    clients.push(c);
    await c.connected();
    return c;
  };

  beforeEach(async () => {
    echo = new EchoServer();
    const port = await echo.start();
    proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port }, maxLifetimeMs: 60_000 });
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.destroy();
    await proxy.close();
    await echo.close();
  });

  it('forwards both ways and counts open connections', async () => {
    const a = await client();
    const b = await client();
    await a.roundTrip('hello');
    await b.roundTrip('world');
    expect(proxy.connections()).toBe(2);
    a.socket.end();
    await a.closedWith();
    await until(() => echo.sockets[0].ended);
    await until(() => proxy.connections() === 1);
  });

  it('refuses targets that are not loopback, and needs a lifetime', async () => {
    for (const host of ['10.0.0.1', 'localhost', '0.0.0.0', '127.0.0.1.example.com']) {
      await expect(FaultProxy.start({ target: { host, port: 5432 }, maxLifetimeMs: 1000 })).rejects.toThrow(/not a loopback address/);
    }
    await expect(FaultProxy.start({ target: { host: '127.0.0.1', port: 5432 }, maxLifetimeMs: 0 })).rejects.toThrow(/maxLifetimeMs/);
  });

  it('listens on loopback only', () => {
    expect(proxy['server'].address()).toMatchObject({ address: '127.0.0.1' });
  });

  it('silenceExisting: old connections get nothing through either way and are never closed; new ones work', async () => {
    const old = await client();
    await old.roundTrip('before');
    proxy.silenceExisting();
    old.socket.write('lost');
    echo.sockets[0].socket.write('also lost');
    const fresh = await client();
    await fresh.roundTrip('after');
    old.socket.end();
    await fresh.roundTrip('again');
    expect(old.received).toBe('before');
    expect(old.events).toEqual([]);
    expect(echo.sockets[0].received).toBe('before');
    expect(echo.sockets[0].ended).toBe(false);
    expect(echo.sockets).toHaveLength(2);
  });

  it('silenceAll: a partition; new connections are accepted but nothing passes, until heal (the silenced stay silent)', async () => {
    const old = await client();
    await old.roundTrip('before');
    proxy.silenceAll();
    const partitioned = await client();
    partitioned.socket.write('into the void');
    old.socket.write('lost');
    expect(proxy.connections()).toBe(2);
    proxy.heal();
    const healed = await client();
    await healed.roundTrip('back');
    partitioned.socket.write('still lost');
    await healed.roundTrip('again');
    expect(partitioned.received).toBe('');
    expect(partitioned.events).toEqual([]);
    expect(old.received).toBe('before');
    expect(echo.sockets.map((s) => s.received)).toEqual(['before', 'backagain']);
  });

  it('delay: holds the bytes in each direction and keeps their order', async () => {
    const delayMs = 200;
    proxy.delay(delayMs);
    const c = await client();
    await until(() => echo.sockets.length === 1);
    // No clock is read: Node fires timers in the order they fall due, however loaded the machine. A timer set when
    // bytes leave one side, due after half the delay, fires before the proxy's timer for those bytes (set later, due
    // after the whole delay): at that moment the bytes must not have reached the other side.
    const seenHalfwayThrough = (read: () => string) => new Promise<string>((resolve) => setTimeout(() => resolve(read()), delayMs / 2));
    let upstreamHalfway: Promise<string> | undefined;
    let downstreamHalfway: Promise<string> | undefined;
    echo.sockets[0].socket.once('data', () => {
      downstreamHalfway = seenHalfwayThrough(() => c.received);
    });
    const text = Array.from({ length: 50 }, (_, i) => `${i};`).join('');
    for (const piece of text.match(/.{1,7}/g)!) {
      c.socket.write(piece);
      upstreamHalfway ??= seenHalfwayThrough(() => echo.sockets[0].received);
    }
    await until(() => c.received.length === text.length);
    expect(await upstreamHalfway).toBe('');
    expect(await downstreamHalfway).toBe('');
    expect(echo.sockets[0].received).toBe(text);
    expect(c.received).toBe(text);
    proxy.heal();
    await c.roundTrip('prompt');
  });

  it('resetAll: every open connection gets a RST, on both sides', async () => {
    const a = await client();
    const b = await client();
    await a.roundTrip('x');
    await b.roundTrip('y');
    proxy.silenceExisting();
    const c = await client();
    await c.roundTrip('z');
    proxy.resetAll();
    for (const each of [a, b, c]) expect(await each.closedWith()).toEqual(['ECONNRESET', 'close']);
    await until(() => echo.sockets.every((s) => s.socket.destroyed));
    expect(proxy.connections()).toBe(0);
    await (await client()).roundTrip('after');
  });

  it('refuseNew: new connections are reset at once, open ones keep working', async () => {
    const open = await client();
    proxy.refuseNew(true);
    const refused = new Client(proxy.port);
    clients.push(refused);
    expect(await refused.closedWith()).toContain('ECONNRESET');
    await open.roundTrip('still here');
    proxy.refuseNew(false);
    await (await client()).roundTrip('accepted');
    expect(echo.sockets).toHaveLength(2);
  });

  it('a target that refuses makes the proxy reset the client', async () => {
    const nowhere = await FaultProxy.start({ target: { host: '127.0.0.1', port: await freePort() }, maxLifetimeMs: 60_000 });
    try {
      const c = new Client(nowhere.port);
      clients.push(c);
      expect(await c.closedWith()).toContain('ECONNRESET');
    } finally {
      await nowhere.close();
    }
  });

  it('closes by itself after its lifetime', async () => {
    const shortLived = await FaultProxy.start({ target: proxy.target, maxLifetimeMs: 200 });
    const c = new Client(shortLived.port);
    clients.push(c);
    await c.connected();
    await c.closedWith();
    expect(shortLived.closed).toBe(true);
    const late = new Client(shortLived.port);
    clients.push(late);
    expect(await late.closedWith()).toContain('ECONNREFUSED');
  });
});
