import { randomUUID } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ENTITIES } from '../src/entities';
import { uniqueName, waitFor } from './support/kafka';
import { startTestApp, TestDatabase } from './support/fixture';
import { adminToken, bearer, tenantToken } from './support/tokens';

interface InvoiceJson {
  id: string;
  event_id: string;
  tenant_id: string;
  order_id: string;
  amount: string;
  currency: string;
  created_at: string;
}

describe('invoices REST API (real PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplication;

  const get = (path: string, jwt: string) => request(app.getHttpServer()).get(path).set(bearer(jwt));

  async function insertInvoice(tenantId: string, orderId = `order-${randomUUID()}`, amount = '149.90'): Promise<string> {
    const [row] = await db.query<{ id: string }>(
      `INSERT INTO invoices (event_id, tenant_id, order_id, amount, currency) VALUES ($1, $2, $3, $4, 'USD') RETURNING id`,
      [randomUUID(), tenantId, orderId, amount],
    );
    return row.id;
  }

  const idsOf = (body: { items: InvoiceJson[] }) => body.items.map((i) => i.id);

  /** Follows next_cursor to the end; returns every item in the order served. */
  async function walk(jwt: string, query: string): Promise<InvoiceJson[]> {
    const items: InvoiceJson[] = [];
    let cursor: string | null = null;
    do {
      const suffix: string = cursor ? `&cursor=${cursor}` : '';
      const page = await get(`/invoices?${query}${suffix}`, jwt).expect(200);
      items.push(...(page.body.items as InvoiceJson[]));
      cursor = page.body.next_cursor as string | null;
    } while (cursor);
    return items;
  }

  beforeAll(async () => {
    db = await TestDatabase.create('invoices_api');
    ({ app } = await startTestApp({ databaseUrl: db.url, topic: uniqueName('order.completed.api'), consume: false }));
  });

  afterEach(() => db.truncate());

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it("registers every entity through its feature's module, the same list the migration CLI uses (src/entities.ts)", () => {
    const registered = app.get(DataSource).entityMetadatas.map((metadata) => metadata.target);
    expect(new Set(registered)).toEqual(new Set(ENTITIES));
  });

  it('serves an invoice in the contract shape, money as a decimal string', async () => {
    const id = await insertInvoice('acme', 'order-1001', '7');
    const response = await get(`/invoices/${id}`, tenantToken('acme')).expect(200);
    expect(Object.keys(response.body).sort()).toEqual(['amount', 'created_at', 'currency', 'event_id', 'id', 'order_id', 'tenant_id']);
    expect(response.body).toMatchObject({ id, tenant_id: 'acme', order_id: 'order-1001', amount: '7.00', currency: 'USD' });
    expect(new Date(response.body.created_at).toISOString()).toBe(response.body.created_at);
  });

  it("shows a tenant only its own invoices; another tenant's id answers 404", async () => {
    const mine = [await insertInvoice('tenant-a'), await insertInvoice('tenant-a')];
    const theirs = await insertInvoice('tenant-b');

    const listed = await walk(tenantToken('tenant-a'), 'limit=1');
    expect(listed.map((i) => i.id).sort()).toEqual([...mine].sort());
    expect(listed.every((i) => i.tenant_id === 'tenant-a')).toBe(true);

    const foreign = await get(`/invoices/${theirs}`, tenantToken('tenant-a')).expect(404);
    const missing = await get(`/invoices/${randomUUID()}`, tenantToken('tenant-a')).expect(404);
    for (const body of [foreign.body, missing.body]) {
      expect(body).toEqual({ statusCode: 404, error: 'Not Found', code: 'invoice.not_found', message: expect.stringContaining('not found') });
    }
    await get(`/invoices/${theirs}`, tenantToken('tenant-b')).expect(200);
  });

  it('lets an admin list another tenant, and no one else', async () => {
    const theirs = await insertInvoice('tenant-b');
    const asAdmin = await get('/invoices?tenant_id=tenant-b', adminToken('ops')).expect(200);
    expect(idsOf(asAdmin.body)).toEqual([theirs]);
    const asTenant = await get('/invoices?tenant_id=tenant-b', tenantToken('tenant-a')).expect(403);
    expect(asTenant.body.code).toBe('auth.forbidden');
  });

  it('filters by order_id and by a created_at range', async () => {
    await insertInvoice('acme', 'order-x');
    const target = await insertInvoice('acme', 'order-y');
    const byOrder = await get('/invoices?order_id=order-y', tenantToken('acme')).expect(200);
    expect(idsOf(byOrder.body)).toEqual([target]);

    await db.query(`UPDATE invoices SET created_at = '2026-01-15T12:00:00Z' WHERE id = $1`, [target]);
    const inRange = await get('/invoices?created_from=2026-01-15&created_to=2026-01-16', tenantToken('acme')).expect(200);
    expect(idsOf(inRange.body)).toEqual([target]);
    const beforeRange = await get('/invoices?created_to=2026-01-15T12:00:00Z', tenantToken('acme')).expect(200);
    expect(beforeRange.body.items).toEqual([]);
  });

  it('pages with a default of 50 and a cursor, and ends with next_cursor null', async () => {
    for (let i = 0; i < 55; i++) await insertInvoice('acme');
    const first = await get('/invoices', tenantToken('acme')).expect(200);
    expect(first.body.items).toHaveLength(50);
    expect(first.body.next_cursor).toEqual(expect.stringMatching(/^[A-Za-z0-9_-]+$/));
    const second = await get(`/invoices?cursor=${first.body.next_cursor}`, tenantToken('acme')).expect(200);
    expect(second.body.items).toHaveLength(5);
    expect(second.body.next_cursor).toBeNull();
    const ids = [...first.body.items, ...second.body.items].map((i: InvoiceJson) => i.id);
    expect(new Set(ids).size).toBe(55);
  });

  it.each([
    ['an unknown parameter', '/invoices?colour=red', 'unknown query parameter "colour"'],
    ['limit 0', '/invoices?limit=0', 'limit must be from 1 to 200'],
    ['limit 201', '/invoices?limit=201', 'limit must be from 1 to 200'],
    ['a non-integer limit', '/invoices?limit=ten', 'limit must be an integer'],
    ['a bad date', '/invoices?created_from=yesterday', 'created_from must be an ISO 8601'],
    ['an impossible date', '/invoices?created_to=2026-02-30', 'created_to must be an ISO 8601'],
    ['a timestamp without its zone', '/invoices?created_from=2026-01-01T00:00', 'created_from must be an ISO 8601'],
    ['a repeated limit', '/invoices?limit=5&limit=6', 'limit must be an integer'],
    ['an inverted range', '/invoices?created_from=2026-02-01&created_to=2026-01-01', 'created_from must not be after created_to'],
    ['a bad cursor', '/invoices?cursor=bm90LWEtY3Vyc29y', 'cursor is not valid'],
    ['a repeated order_id', '/invoices?order_id=a&order_id=b', 'order_id must be given once'],
    ['a bad tenant_id', '/invoices?tenant_id=no%20spaces', 'tenant_id must be'],
    ['a non-UUID id', '/invoices/not-a-uuid', 'id must be a UUID'],
  ])('answers 400 to %s, saying what is wrong', async (_label, path, message) => {
    const response = await get(path, adminToken('acme')).expect(400);
    expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request', code: 'request.invalid' });
    expect(response.body.message).toContain(message);
  });

  it('walks every invoice exactly once while new ones commit out of order', async () => {
    const jwt = tenantToken('walker');
    for (let i = 0; i < 40; i++) await insertInvoice('walker');
    const pool = Array.from({ length: 8 }, () => new Client({ connectionString: db.url }));
    await Promise.all(pool.map((c) => c.connect()));
    // Each writer holds its transaction open for a random time, so a transaction that began (and took its
    // created_at) earlier often commits after a later one: the case a (created_at, id) cursor skips.
    let writersDone = false;
    const writers = Promise.all(
      pool.map(async (client) => {
        for (let i = 0; i < 30; i++) {
          await client.query('BEGIN');
          await pause(Math.random() * 40);
          await client.query(`INSERT INTO invoices (event_id, tenant_id, order_id, amount, currency) VALUES ($1, 'walker', $2, '1.00', 'USD')`, [
            randomUUID(),
            `order-${randomUUID()}`,
          ]);
          await pause(Math.random() * 40);
          await client.query('COMMIT');
        }
      }),
    ).finally(() => {
      writersDone = true;
    });

    const walks: InvoiceJson[][] = [];
    const walker = async () => {
      while (!writersDone) walks.push(await walk(jwt, 'limit=9'));
    };
    await Promise.all([writers, walker(), walker()]);
    await Promise.all(pool.map((c) => c.end()));

    const total = await db.count('invoices', `tenant_id = 'walker'`);
    let final: InvoiceJson[] = [];
    for (let attempt = 0; attempt < 50 && final.length < total; attempt++) {
      final = await walk(jwt, 'limit=7');
      if (final.length < total) await pause(200);
    }
    expect(final).toHaveLength(total);
    const position = new Map(final.map((invoice, i) => [invoice.id, i]));
    expect(position.size).toBe(total);
    for (const seen of walks) {
      const ids = seen.map((i) => i.id);
      expect(new Set(ids).size).toBe(ids.length);
      // No skip: a walk that reached position p of the final order has every invoice before p.
      const reached = Math.max(...ids.map((id) => position.get(id) ?? -1));
      expect(ids.map((id) => position.get(id))).toEqual(Array.from({ length: reached + 1 }, (_, i) => i));
    }
  });
});

describe('invoices REST API while the database is busy (real PostgreSQL)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await TestDatabase.create('invoices_busy');
  });

  afterAll(async () => {
    await db?.drop();
  });

  async function withApp(env: Record<string, string>, work: (app: INestApplication) => Promise<void>): Promise<void> {
    const { app } = await startTestApp({ databaseUrl: db.url, topic: uniqueName('order.completed.busy'), consume: false, env });
    try {
      await work(app);
    } finally {
      await app.close();
    }
  }

  /** An operator's LOCK TABLE (a migration, a manual fix) held from another connection while `work` runs. */
  async function holdingInvoicesLock<T>(work: () => Promise<T>): Promise<T> {
    const locker = new Client({ connectionString: db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE invoices IN ACCESS EXCLUSIVE MODE');
      return await work();
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
  }

  const unavailable = {
    statusCode: 503,
    error: 'Service Unavailable',
    code: 'database.unavailable',
    message: 'the database is busy or unreachable; retry later',
  };

  it('answers 503 with Retry-After, not 500, when a lock outlasts the lock timeout', async () => {
    await withApp({ DATABASE_LOCK_TIMEOUT_MS: '300' }, async (app) => {
      const list = () =>
        request(app.getHttpServer())
          .get('/invoices')
          .set(bearer(tenantToken('acme')));
      const blocked = await holdingInvoicesLock(() => list());
      expect({ status: blocked.status, retryAfter: blocked.headers['retry-after'], body: blocked.body as unknown }).toEqual({
        status: 503,
        retryAfter: '2',
        body: unavailable,
      });
      await list().expect(200);
    });
  });

  it('answers 503 with Retry-After to requests that find every pooled connection taken', async () => {
    await withApp({ DATABASE_LOCK_TIMEOUT_MS: '120000' }, async (app) => {
      const server = app.getHttpServer();
      const answers: request.Response[] = [];
      const requests = await holdingInvoicesLock(async () => {
        // More requests than the pool has connections: those without one give up after connectionTimeoutMillis.
        const sent = Array.from({ length: 30 }, () =>
          request(server)
            .get('/invoices')
            .set(bearer(tenantToken('acme')))
            .then((response) => (answers.push(response), response)),
        );
        await waitFor(() => answers.some((a) => a.status === 503), 60_000, 'a request that found no free connection');
        return sent;
      });
      const all = await Promise.all(requests);
      expect(new Set(all.map((a) => a.status))).toEqual(new Set([200, 503]));
      for (const answer of all.filter((a) => a.status === 503)) {
        expect({ retryAfter: answer.headers['retry-after'], body: answer.body as unknown }).toEqual({ retryAfter: '2', body: unavailable });
      }
    });
  });
});

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
