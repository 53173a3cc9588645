import { LazyConnection } from './lazy-connection';

class FakeClient {
  static created = 0;
  disconnected = false;
  constructor(private readonly failConnect: boolean) {
    FakeClient.created += 1;
  }
  connect(): Promise<void> {
    return this.failConnect ? Promise.reject(new Error('broker down')) : Promise.resolve();
  }
  disconnect(): Promise<void> {
    this.disconnected = true;
    return Promise.resolve();
  }
}

describe('LazyConnection', () => {
  beforeEach(() => (FakeClient.created = 0));

  it('connects once and shares the client between concurrent users', async () => {
    const connection = new LazyConnection(() => new FakeClient(false));
    const [a, b] = await Promise.all([connection.get(), connection.get()]);
    expect(a).toBe(b);
    expect(FakeClient.created).toBe(1);
  });

  it('forgets a failed attempt so the next use connects again', async () => {
    let attempts = 0;
    const connection = new LazyConnection(() => new FakeClient(++attempts === 1));
    await expect(connection.get()).rejects.toThrow('broker down');
    await expect(connection.get()).resolves.toBeInstanceOf(FakeClient);
    expect(FakeClient.created).toBe(2);
  });

  it('disconnects the client on close, and close without a connection is a no-op', async () => {
    await expect(new LazyConnection(() => new FakeClient(false)).close()).resolves.toBeUndefined();
    const connection = new LazyConnection(() => new FakeClient(false));
    const client = await connection.get();
    await connection.close();
    expect(client.disconnected).toBe(true);
  });

  it('closeClient disconnects the client it is given and never a newer one others share', async () => {
    const connection = new LazyConnection(() => new FakeClient(false));
    const stale = await connection.get();
    connection.forget(stale);
    const current = await connection.get();
    expect(current).not.toBe(stale);
    await connection.closeClient(stale);
    expect(stale.disconnected).toBe(true);
    expect(current.disconnected).toBe(false);
    await expect(connection.get()).resolves.toBe(current);
    await connection.closeClient(current);
    await expect(connection.get()).resolves.not.toBe(current);
  });
});
