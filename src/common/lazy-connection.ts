interface Connectable {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * Connects a client on first use and shares that connection; a failed attempt is forgotten, so the next
 * use tries again instead of failing forever on a broker that was briefly down.
 */
export class LazyConnection<T extends Connectable> {
  private connected?: Promise<T>;
  private current?: T;

  constructor(private readonly create: () => T) {}

  get(): Promise<T> {
    if (this.connected) return this.connected;
    const connecting = this.connect().then(
      (client) => {
        if (this.connected === connecting) this.current = client;
        return client;
      },
      (error: unknown) => {
        if (this.connected === connecting) this.connected = undefined;
        throw error;
      },
    );
    this.connected = connecting;
    return connecting;
  }

  async close(): Promise<void> {
    const connected = this.connected;
    this.connected = undefined;
    this.current = undefined;
    await connected?.then((client) => client.disconnect()).catch(() => undefined);
  }

  /** The next get() connects anew; `client` stays connected for whoever still uses it. */
  forget(client: T): void {
    if (this.current !== client) return;
    this.connected = undefined;
    this.current = undefined;
  }

  /**
   * Disconnects `client`, a client this connection handed out, and stops sharing it if it still does. A user that
   * found its client broken closes that one only: the shared one may already be a newer client others are using.
   */
  async closeClient(client: T): Promise<void> {
    this.forget(client);
    await client.disconnect().catch(() => undefined);
  }

  private async connect(): Promise<T> {
    const client = this.create();
    await client.connect();
    return client;
  }
}
