import { randomUUID } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { uniqueName } from './support/kafka';
import { startTestApp, TestDatabase } from './support/fixture';
import { adminToken, bearer, tenantToken, token, unsignedToken } from './support/tokens';

type Method = 'get' | 'post';
const PROTECTED: { method: Method; path: string }[] = [
  { method: 'get', path: '/invoices' },
  { method: 'get', path: `/invoices/${randomUUID()}` },
  { method: 'post', path: '/admin/cleanup' },
];
const PUBLIC_PATHS = ['/health', '/metrics', '/docs', '/docs/json'];

const now = () => Math.floor(Date.now() / 1000);
const BAD_CREDENTIALS: [string, string | undefined][] = [
  ['no Authorization header', undefined],
  ['a Basic header', 'Basic dXNlcjpwYXNz'],
  ['a token that is not a JWT', 'Bearer not-a-jwt'],
  ['alg: none', `Bearer ${unsignedToken({ tenant_id: 'acme', roles: ['admin'] })}`],
  ['a wrong secret', `Bearer ${token({ tenant_id: 'acme', roles: ['admin'] }, { expiresIn: 3600 }, 'another-secret-that-is-also-long-enough-0123')}`],
  ['HS512 with the right secret', `Bearer ${token({ tenant_id: 'acme', roles: ['admin'] }, { algorithm: 'HS512', expiresIn: 3600 })}`],
  ['an expired token', `Bearer ${token({ tenant_id: 'acme', roles: ['admin'], exp: now() - 60 }, {})}`],
  ['a token without exp', `Bearer ${token({ tenant_id: 'acme', roles: ['admin'] }, {})}`],
  ['a token without tenant_id', `Bearer ${token({ roles: ['admin'] })}`],
  ['roles that are not an array', `Bearer ${token({ tenant_id: 'acme', roles: 'admin' })}`],
];

describe('authentication and authorisation (real PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplication;

  beforeAll(async () => {
    db = await TestDatabase.create('auth');
    ({ app } = await startTestApp({ databaseUrl: db.url, topic: uniqueName('order.completed.auth'), consume: false }));
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  const call = (method: Method, path: string, authorization?: string) => {
    const req = request(app.getHttpServer())[method](path);
    return authorization === undefined ? req : req.set('Authorization', authorization);
  };

  describe.each(PROTECTED)('$method $path', ({ method, path }) => {
    it.each(BAD_CREDENTIALS)('answers 401 to %s', async (_label, authorization) => {
      const response = await call(method, path, authorization);
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ statusCode: 401, error: 'Unauthorized', code: expect.stringMatching(/^auth\./) });
    });
  });

  it('tells an expired token from an invalid one', async () => {
    // Past AUTH_CLOCK_SKEW_SECONDS (30 s by default), the leeway allowed for clocks that disagree.
    const expired = await call('get', '/invoices', `Bearer ${token({ tenant_id: 'acme', roles: [], exp: now() - 120 }, {})}`);
    expect(expired.body.code).toBe('auth.token_expired');
    const unsigned = await call('get', '/invoices', `Bearer ${unsignedToken({ tenant_id: 'acme', roles: [] })}`);
    expect(unsigned.body.code).toBe('auth.token_invalid');
  });

  it('answers 403 to a tenant token on the admin route, and 200 to an admin token', async () => {
    const forbidden = await request(app.getHttpServer())
      .post('/admin/cleanup')
      .set(bearer(tenantToken('acme')));
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toMatchObject({ statusCode: 403, error: 'Forbidden', code: 'auth.forbidden' });
    const allowed = await request(app.getHttpServer()).post('/admin/cleanup').set(bearer(adminToken()));
    expect(allowed.status).toBe(200);
  });

  it('lets a valid tenant token read invoices', async () => {
    const list = await request(app.getHttpServer())
      .get('/invoices')
      .set(bearer(tenantToken('acme')));
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ items: [], next_cursor: null });
    const missing = await request(app.getHttpServer())
      .get(`/invoices/${randomUUID()}`)
      .set(bearer(tenantToken('acme')));
    expect(missing.status).toBe(404);
  });

  it.each(PUBLIC_PATHS)('serves %s without a token', async (path) => {
    const response = await request(app.getHttpServer()).get(path);
    expect([200, 503]).toContain(response.status);
    if (path !== '/health') expect(response.status).toBe(200);
  });

  it('leaves no documented route open by accident', async () => {
    const document = (await request(app.getHttpServer()).get('/docs/json')).body as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({ method: method as Method, path: path.replace(/\{[^}]+\}/g, randomUUID()) })),
    );
    expect(routes.map((r) => `${r.method} ${r.path.split('/')[1]}`)).toEqual(expect.arrayContaining(['get invoices', 'post admin']));
    const open = [];
    for (const route of routes.filter((r) => !PUBLIC_PATHS.includes(r.path))) {
      const response = await call(route.method, route.path);
      if (response.status !== 401) open.push(`${route.method} ${route.path} -> ${response.status}`);
    }
    expect(open).toEqual([]);
  });
});
