import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { INestApplication } from '@nestjs/common';
import { SignJWT } from 'jose';
import request from 'supertest';
import { uniqueName } from './support/kafka';
import { startTestApp, TestDatabase } from './support/fixture';
import { AUDIENCE, TestIdentityProvider } from './support/identity-provider';
import { bearer, token, unsignedToken } from './support/tokens';

const COOLDOWN_MS = 1_000;
/** Longer than the cooldown by a margin, so the next unknown kid may fetch again whatever the load. */
const pastCooldown = () => sleep(COOLDOWN_MS + 200);
const now = () => Math.floor(Date.now() / 1000);

describe('sign-in through an identity provider: JWKS (real PostgreSQL, provider on 127.0.0.1)', () => {
  let db: TestDatabase;
  let idp: TestIdentityProvider;
  const apps: INestApplication[] = [];
  const invoices: Record<'acme' | 'globex', string> = { acme: '', globex: '' };
  const kids = { rs: '', es: '', ed: '' };

  async function start(env: Record<string, string>): Promise<INestApplication> {
    const { app } = await startTestApp({
      databaseUrl: db.url,
      topic: uniqueName('order.completed.idp'),
      consume: false,
      env: { OUTBOX_RELAY_ENABLED: 'false', ...env },
    });
    apps.push(app);
    return app;
  }

  const get = (app: INestApplication, path: string, jwt: string) => request(app.getHttpServer()).get(path).set(bearer(jwt));
  const tenantClaims = (tenant: string, roles: string[] = []) => ({ sub: `user-${tenant}`, tenant_id: tenant, roles });
  const idsOf = (response: { body: unknown }) => (response.body as { items: { id: string }[] }).items.map((item) => item.id);

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    kids.rs = await idp.addKey('RS256');
    kids.es = await idp.addKey('ES256');
    kids.ed = await idp.addKey('EdDSA');
    db = await TestDatabase.create('identity_provider');
    for (const tenant of ['acme', 'globex'] as const) {
      const [row] = await db.query<{ id: string }>(
        `INSERT INTO invoices (event_id, tenant_id, order_id, amount, currency) VALUES ($1, $2, $3, '10.00', 'USD') RETURNING id::text AS id`,
        [randomUUID(), tenant, `order-${tenant}`],
      );
      invoices[tenant] = row.id;
    }
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await idp?.close();
    await db?.drop();
  });

  describe('with AUTH_JWKS_URL', () => {
    let app: INestApplication;

    beforeAll(async () => {
      app = await start(idp.env('jwks-url', { AUTH_JWKS_COOLDOWN_SECONDS: String(COOLDOWN_MS / 1000) }));
    });

    it.each(['rs', 'es', 'ed'] as const)('accepts a token signed with the %s key (RS256, ES256, EdDSA) and serves only its tenant', async (key) => {
      const jwt = await idp.sign(kids[key], tenantClaims('acme'));
      const list = await get(app, '/invoices', jwt).expect(200);
      expect(idsOf(list)).toEqual([invoices.acme]);
    });

    it('documents the bearer scheme in /docs: the provider, the claims, the admin role, on every protected route', async () => {
      const document = (await request(app.getHttpServer()).get('/docs/json').expect(200)).body as {
        components: { securitySchemes: Record<string, { type: string; scheme: string; bearerFormat: string; description: string }> };
        paths: Record<string, Record<string, { security?: unknown }>>;
      };
      const scheme = document.components.securitySchemes.bearer;
      expect(scheme).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
      expect(scheme.description).toContain(idp.issuer);
      expect(scheme.description).toContain('RS256, ES256, EdDSA');
      expect(scheme.description).toContain('"admin"');
      for (const path of ['/invoices', '/admin/cleanup', '/admin/outbox/reannounce/{invoice_id}'])
        expect(Object.values(document.paths[path]).map((operation) => operation.security)).toEqual([[{ bearer: [] }]]);
    });

    const REJECTED: [string, () => Promise<string>][] = [
      ['a key the provider never published', async () => idp.sign(await idp.addKey('RS256', { publish: false }), tenantClaims('acme'))],
      [
        'a known kid over a signature by another key',
        async () => idp.sign(await idp.addKey('RS256', { publish: false }), tenantClaims('acme'), { kid: kids.rs }),
      ],
      ['a wrong iss', () => idp.sign(kids.rs, tenantClaims('acme'), { issuer: 'http://127.0.0.1:1/realms/other' })],
      ['a wrong aud', () => idp.sign(kids.rs, tenantClaims('acme'), { audience: 'another-api' })],
      ['an expired token (beyond the clock skew)', () => idp.sign(kids.es, tenantClaims('acme'), { expiresIn: -120 })],
      ['a token not yet valid (beyond the clock skew)', () => idp.sign(kids.ed, tenantClaims('acme'), { notBefore: 120 })],
      ['alg: none', () => Promise.resolve(unsignedToken({ ...tenantClaims('acme', ['admin']), iss: idp.issuer, aud: AUDIENCE }))],
      [
        'HS256 (any secret)',
        () => Promise.resolve(token({ ...tenantClaims('acme', ['admin']), iss: idp.issuer, aud: AUDIENCE }, { expiresIn: 3600, keyid: kids.rs })),
      ],
      [
        'HS256 with the public key as the HMAC secret (algorithm confusion)',
        () =>
          new SignJWT({ ...tenantClaims('acme', ['admin']) })
            .setProtectedHeader({ alg: 'HS256', kid: kids.rs })
            .setIssuer(idp.issuer)
            .setAudience(AUDIENCE)
            .setExpirationTime(now() + 3600)
            .sign(new TextEncoder().encode(idp.publicPem(kids.rs))),
      ],
      ['a token without exp', () => idp.sign(kids.rs, tenantClaims('acme'), { expiresIn: null })],
    ];

    it.each(REJECTED)('answers 401 with the JSON error body to %s', async (_label, mint) => {
      const response = await get(app, '/invoices', await mint());
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({
        statusCode: 401,
        error: 'Unauthorized',
        code: expect.stringMatching(/^auth\.token_/),
        message: expect.any(String),
      });
    });

    it('accepts a rotated key (new kid) after exactly one refresh of the key set, then without another', async () => {
      const rotated = await idp.addKey('ES256');
      await pastCooldown();
      const before = idp.requests.jwks;
      await get(app, '/invoices', await idp.sign(rotated, tenantClaims('acme'))).expect(200);
      expect(idp.requests.jwks - before).toBe(1);
      await get(app, '/invoices', await idp.sign(rotated, tenantClaims('globex'))).expect(200);
      expect(idp.requests.jwks - before).toBe(1);
    });

    it('refetches for unknown kids at most once per cooldown, however many arrive', async () => {
      const stranger = await idp.addKey('RS256', { publish: false });
      await pastCooldown();
      const before = idp.requests.jwks;
      const started = performance.now();
      for (let round = 0; round < 20; round++) {
        const statuses = await Promise.all(
          Array.from({ length: 50 }, async () => (await get(app, '/invoices', await idp.sign(stranger, tenantClaims('acme'), { kid: randomUUID() }))).status),
        );
        expect(new Set(statuses)).toEqual(new Set([401]));
      }
      const elapsedMs = performance.now() - started;
      // One fetch when the cooldown allows it, so at most one per started cooldown period (1,000 without the limit).
      expect(idp.requests.jwks - before).toBeLessThanOrEqual(Math.ceil(elapsedMs / COOLDOWN_MS) + 1);
      expect(idp.requests.jwks - before).toBeGreaterThanOrEqual(1);
    });

    it('keeps verifying known keys while the provider is down or hangs, and bounds every fetch in time', async () => {
      for (const state of ['down', 'hanging'] as const) {
        idp.state = state;
        await pastCooldown();
        const before = idp.requests.jwks;
        // An unknown kid makes the service ask the provider, which fails (or never answers, until AUTH_IDP_TIMEOUT_MS).
        const unknown = await idp.sign(await idp.addKey('EdDSA', { publish: false }), tenantClaims('acme'));
        await get(app, '/invoices', unknown).expect(401);
        expect(idp.requests.jwks - before).toBe(1);
        await get(app, '/invoices', await idp.sign(kids.rs, tenantClaims('acme'))).expect(200);
        await get(app, '/invoices', await idp.sign(kids.ed, tenantClaims('acme'))).expect(200);
      }
      idp.state = 'up';
      const metrics = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
      expect(Number(/^billing_auth_jwks_fetches_total\{outcome="failed"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
      expect(Number(/^billing_auth_jwks_last_success_timestamp_seconds (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    });
  });

  describe('with AUTH_ISSUER alone (OIDC discovery)', () => {
    let app: INestApplication;
    let discoveriesBefore: number;

    beforeAll(async () => {
      discoveriesBefore = idp.requests.discovery;
      // A cooldown longer than the test: after the boot's fetch no unknown kid may cause another.
      app = await start(idp.env('discovery', { AUTH_JWKS_COOLDOWN_SECONDS: '3600' }));
    });

    it('finds the key set through the discovery document and verifies with it', async () => {
      expect(idp.requests.discovery - discoveriesBefore).toBe(1);
      await get(app, '/invoices', await idp.sign(kids.ed, tenantClaims('globex'))).expect(200);
    });

    it('sends 1,000 requests with random kids to the provider at most once', async () => {
      const stranger = await idp.addKey('ES256', { publish: false });
      const before = idp.requests.jwks;
      for (let round = 0; round < 10; round++) {
        const responses = await Promise.all(
          Array.from({ length: 100 }, async () => get(app, '/invoices', await idp.sign(stranger, tenantClaims('acme'), { kid: randomUUID() }))),
        );
        expect(responses.map((r) => r.status)).toEqual(Array<number>(100).fill(401));
      }
      expect(idp.requests.jwks - before).toBeLessThanOrEqual(1);
    });
  });

  describe('a provider that is down at boot', () => {
    let app: INestApplication;

    beforeAll(async () => {
      idp.state = 'down';
      app = await start(idp.env('jwks-url', { AUTH_JWKS_COOLDOWN_SECONDS: '1', AUTH_JWKS_REFRESH_SECONDS: '1' }));
    });

    afterAll(() => (idp.state = 'up'));

    it('answers 503 (not 401) until it has keys, then verifies, and keeps its keys through failed background refreshes', async () => {
      const jwt = await idp.sign(kids.rs, tenantClaims('acme'));
      const early = await get(app, '/invoices', jwt);
      expect(early.status).toBe(503);
      expect(early.body).toMatchObject({ statusCode: 503, code: 'auth.keys_unavailable' });
      idp.state = 'up';
      await pastCooldown();
      await get(app, '/invoices', jwt).expect(200);
      idp.state = 'down';
      const failedBefore = idp.requests.jwks;
      // The background refresh (every second) meets the outage at least twice.
      while (idp.requests.jwks - failedBefore < 2) await sleep(200);
      await get(app, '/invoices', jwt).expect(200);
    });
  });

  describe('claim mapping', () => {
    it('reads a Keycloak-shaped token: roles at realm_access.roles, a custom admin role', async () => {
      const app = await start(idp.env('jwks-url', { AUTH_ROLES_CLAIM: 'realm_access.roles', AUTH_ADMIN_ROLE: 'billing-admin', AUTH_TENANT_CLAIM: 'tenant' }));
      const keycloak = (tenant: string, roles: string[]) =>
        idp.sign(kids.rs, {
          sub: randomUUID(),
          typ: 'Bearer',
          azp: 'billing-frontend',
          preferred_username: 'jane',
          tenant,
          realm_access: { roles: ['offline_access', 'uma_authorization', ...roles] },
          resource_access: { account: { roles: ['manage-account'] } },
          scope: 'openid profile email',
        });
      const list = await get(app, '/invoices', await keycloak('globex', []));
      expect(list.status).toBe(200);
      expect(idsOf(list)).toEqual([invoices.globex]);
      const post = async (jwt: string) => request(app.getHttpServer()).post('/admin/cleanup').set(bearer(jwt));
      expect((await post(await keycloak('ops', ['admin']))).status).toBe(403);
      expect((await post(await keycloak('ops', ['billing-admin']))).status).toBe(200);
      const adminList = await get(app, '/invoices?tenant_id=acme', await keycloak('ops', ['billing-admin'])).expect(200);
      expect(idsOf(adminList)).toEqual([invoices.acme]);
      // Roles elsewhere in the token (resource_access, scope) grant nothing.
      const bad = await get(app, '/invoices', await idp.sign(kids.rs, { tenant: 'acme', realm_access: { roles: 'billing-admin' } }));
      expect(bad.status).toBe(401);
      expect(bad.body.message).toMatch(/realm_access\.roles/);
    });

    it('reads an Auth0-shaped token: a namespaced tenant claim and roles from the space-separated scope', async () => {
      const app = await start(
        idp.env('jwks-url', { AUTH_ROLES_CLAIM: 'scope', AUTH_ADMIN_ROLE: 'billing:admin', AUTH_TENANT_CLAIM: 'https://billing.example.com/tenant_id' }),
      );
      const auth0 = (tenant: string, scope: string) =>
        idp.sign(kids.es, { sub: 'auth0|64f1c2', azp: 'x1Yz', gty: 'client-credentials', scope, 'https://billing.example.com/tenant_id': tenant });
      const list = await get(app, '/invoices', await auth0('acme', 'invoices:read'));
      expect(list.status).toBe(200);
      expect(idsOf(list)).toEqual([invoices.acme]);
      expect((await get(app, '/invoices?tenant_id=globex', await auth0('acme', 'invoices:read billing:admin:x'))).status).toBe(403);
      const admin = await get(app, '/invoices?tenant_id=globex', await auth0('ops', 'openid  billing:admin invoices:read'));
      expect(admin.status).toBe(200);
      expect(idsOf(admin)).toEqual([invoices.globex]);
    });
  });

  describe.each([
    ['HS256 (AUTH_JWT_SECRET)', 'hs256'],
    ['JWKS URL', 'jwks-url'],
    ['OIDC discovery', 'discovery'],
  ] as const)('tenant isolation, %s', (_label, mode) => {
    let app: INestApplication;
    const mint = (tenant: string) => (mode === 'hs256' ? Promise.resolve(token(tenantClaims(tenant))) : idp.sign(kids.es, tenantClaims(tenant)));

    beforeAll(async () => {
      app = await start(mode === 'hs256' ? {} : idp.env(mode));
    });

    it("serves a tenant its own invoices, never another tenant's", async () => {
      const acme = await mint('acme');
      expect(idsOf(await get(app, '/invoices', acme).expect(200))).toEqual([invoices.acme]);
      await get(app, `/invoices/${invoices.acme}`, acme).expect(200);
      await get(app, `/invoices/${invoices.globex}`, acme).expect(404);
      await get(app, '/invoices?tenant_id=globex', acme).expect(403);
      const stranger = await mint('initech');
      expect((await get(app, '/invoices', stranger).expect(200)).body.items).toEqual([]);
    });
  });
});
