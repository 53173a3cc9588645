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

  constructor(private readonly create: () => T) {}

  get(): Promise<T> {
    this.connected ??= this.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw error;
    });
    return this.connected;
  }

  async close(): Promise<void> {
    const connected = this.connected;
    this.connected = undefined;
    await connected?.then((client) => client.disconnect()).catch(() => undefined);
  }

  private async connect(): Promise<T> {
    const client = this.create();
    await client.connect();
    return client;
  }
}
