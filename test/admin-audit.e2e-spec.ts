import { randomUUID } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { capturedLines } from './support/captured-logs';
import { uniqueName } from './support/kafka';
import { startTestApp, TestDatabase } from './support/fixture';
import { TestIdentityProvider } from './support/identity-provider';
import { bearer, tenantToken, token } from './support/tokens';

interface AuditRow {
  action: string;
  outcome: string;
  error_code: string | null;
  subject: string | null;
  issuer: string | null;
  tenant_id: string;
  parameters: Record<string, unknown>;
  duration_ms: number;
  request_id: string | null;
}

const admin = (sub = 'alice') => token({ sub, tenant_id: 'ops', roles: ['admin'] });

describe('audit trail of admin actions (real PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplication;

  const post = (path: string, jwt: string | undefined, requestId: string = randomUUID()) => {
    const req = request(app.getHttpServer()).post(path).set('x-request-id', requestId);
    return jwt === undefined ? req : req.set(bearer(jwt));
  };
  const auditRows = () =>
    db.query<AuditRow>('SELECT action, outcome, error_code, subject, issuer, tenant_id, parameters, duration_ms, request_id FROM admin_audit ORDER BY id');
  const auditLines = () => capturedLines().filter((line) => line.audit === true);

  async function publishedOutboxRow(): Promise<string> {
    const invoiceId = randomUUID();
    await db.query(
      `INSERT INTO invoice_outbox (event_id, invoice_id, source_event_id, tenant_id, order_id, amount, currency, invoice_created_at)
       VALUES ($1, $2, $3, 'acme', $4, '10.00', 'USD', now())`,
      [randomUUID(), invoiceId, randomUUID(), `order-${invoiceId}`],
    );
    await db.markAllAnnounced();
    return invoiceId;
  }

  beforeAll(async () => {
    db = await TestDatabase.create('admin_audit');
    ({ app } = await startTestApp({
      databaseUrl: db.url,
      topic: uniqueName('order.completed.audit'),
      consume: false,
      env: { OUTBOX_RELAY_ENABLED: 'false' },
    }));
  });

  afterEach(() => db.query('TRUNCATE admin_audit'));

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('records an admin cleanup as one row and one line: who, which tenant, what, how it went, how long, which request', async () => {
    const response = await post('/admin/cleanup', admin(), 'req-cleanup-1').expect(200);
    const expected = {
      action: 'retention.cleanup',
      outcome: 'succeeded',
      error_code: null,
      subject: 'alice',
      issuer: null,
      tenant_id: 'ops',
      parameters: {},
      request_id: 'req-cleanup-1',
    };
    expect(response.headers['x-request-id']).toBe('req-cleanup-1');
    expect(await auditRows()).toEqual([{ ...expected, duration_ms: expect.any(Number) }]);
    const { error_code, subject, ...line } = expected;
    expect(auditLines()).toEqual([
      expect.objectContaining({ ...line, error_code, sub: subject, duration_ms: expect.any(Number), level: 'info', msg: 'admin action' }),
    ]);
  });

  it('records a re-announcement with its invoice_id, and commits it with the re-announcement', async () => {
    const invoiceId = await publishedOutboxRow();
    await post(`/admin/outbox/reannounce/${invoiceId}`, admin('bob'), 'req-reannounce-1').expect(200);
    expect(await auditRows()).toEqual([
      expect.objectContaining({
        action: 'outbox.reannounce',
        outcome: 'succeeded',
        subject: 'bob',
        parameters: { invoice_id: invoiceId },
        request_id: 'req-reannounce-1',
      }),
    ]);
    expect(auditLines()).toEqual([expect.objectContaining({ action: 'outbox.reannounce', outcome: 'succeeded', parameters: { invoice_id: invoiceId } })]);
    expect(await db.count('invoice_outbox_pending', 'invoice_id = $1', [invoiceId])).toBe(1);
  });

  it('undoes a re-announcement whose audit row cannot be written (one transaction), and records the failure', async () => {
    const invoiceId = await publishedOutboxRow();
    await db.query(`CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.outcome = 'succeeded' THEN RAISE EXCEPTION 'audit storage refused'; END IF; RETURN NEW; END $$`);
    await db.query('CREATE TRIGGER refuse_audit BEFORE INSERT ON admin_audit FOR EACH ROW EXECUTE FUNCTION refuse_audit()');
    try {
      const response = await post(`/admin/outbox/reannounce/${invoiceId}`, admin());
      expect(response.status).toBeGreaterThanOrEqual(500);
    } finally {
      await db.query('DROP TRIGGER refuse_audit ON admin_audit; DROP FUNCTION refuse_audit()');
    }
    expect(await db.countPublished('invoice_id = $1', [invoiceId])).toBe(1);
    expect(await auditRows()).toEqual([expect.objectContaining({ action: 'outbox.reannounce', outcome: 'failed', error_code: 'internal' })]);
    expect(auditLines()).toEqual([expect.objectContaining({ action: 'outbox.reannounce', outcome: 'failed' })]);
  });

  it('records a failed admin action with the error code it answered', async () => {
    const unknown = randomUUID();
    const response = await post(`/admin/outbox/reannounce/${unknown}`, admin()).expect(404);
    expect(await auditRows()).toEqual([
      expect.objectContaining({ action: 'outbox.reannounce', outcome: 'failed', error_code: response.body.code, parameters: { invoice_id: unknown } }),
    ]);
    expect(auditLines()).toEqual([expect.objectContaining({ outcome: 'failed', error_code: 'outbox.not_found', level: 'warn' })]);
  });

  it('records a refused attempt (403) by a caller without the admin role', async () => {
    await post('/admin/cleanup', tenantToken('acme'), 'req-refused-1').expect(403);
    const invoiceId = randomUUID();
    await post(`/admin/outbox/reannounce/${invoiceId}?force=yes`, token({ sub: 'mallory', tenant_id: 'acme', roles: ['viewer'] })).expect(403);
    expect(await auditRows()).toEqual([
      expect.objectContaining({
        action: 'retention.cleanup',
        outcome: 'refused',
        error_code: 'auth.forbidden',
        tenant_id: 'acme',
        request_id: 'req-refused-1',
      }),
      expect.objectContaining({
        action: 'outbox.reannounce',
        outcome: 'refused',
        subject: 'mallory',
        parameters: { invoice_id: invoiceId, query: { force: 'yes' } },
      }),
    ]);
    expect(auditLines().map((line) => [line.action, line.outcome])).toEqual([
      ['retention.cleanup', 'refused'],
      ['outbox.reannounce', 'refused'],
    ]);
    const metrics = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/^billing_admin_actions_total\{action="outbox.reannounce",outcome="refused"\} 1$/m);
  });

  it('stores whatever the client put in the URL, NUL included (jsonb refuses it), without failing the audit', async () => {
    await post(`/admin/outbox/reannounce/%00${'x'.repeat(1000)}?note=a%00b`, admin()).expect(400);
    expect(await auditRows()).toEqual([
      expect.objectContaining({
        outcome: 'failed',
        error_code: 'request.invalid',
        parameters: { invoice_id: `\uFFFD${'x'.repeat(255)}`, query: { note: 'a\uFFFDb' } },
      }),
    ]);
  });

  it('audits no request without a verified identity (401): it names no one, and anyone could fill the table', async () => {
    await post('/admin/cleanup', undefined).expect(401);
    await post('/admin/cleanup', 'not-a-jwt').expect(401);
    expect(await auditRows()).toEqual([]);
  });

  it('is never purged by the retention job', async () => {
    await db.query(
      `INSERT INTO admin_audit (occurred_at, action, outcome, tenant_id, parameters, duration_ms) VALUES (now() - interval '10 years', 'old.action', 'succeeded', 'ops', '{}', 1)`,
    );
    await post('/admin/cleanup', admin()).expect(200);
    expect((await auditRows()).map((row) => row.action)).toEqual(['old.action', 'retention.cleanup']);
  });

  describe('with an identity provider', () => {
    let idp: TestIdentityProvider;
    let idpApp: INestApplication;

    let kid: string;

    beforeAll(async () => {
      idp = await TestIdentityProvider.start();
      kid = await idp.addKey('ES256');
      ({ app: idpApp } = await startTestApp({
        databaseUrl: db.url,
        topic: uniqueName('order.completed.audit-idp'),
        consume: false,
        env: idp.env('jwks-url', { OUTBOX_RELAY_ENABLED: 'false' }),
      }));
    });

    afterAll(async () => {
      await idpApp?.close();
      await idp?.close();
    });

    it("records the token's sub and iss", async () => {
      const jwt = await idp.sign(kid, { sub: 'f3a1c2d4-service-account', tenant_id: 'ops', roles: ['admin'] });
      await request(idpApp.getHttpServer()).post('/admin/cleanup').set(bearer(jwt)).expect(200);
      expect(await auditRows()).toEqual([expect.objectContaining({ subject: 'f3a1c2d4-service-account', issuer: idp.issuer, outcome: 'succeeded' })]);
      expect(auditLines()).toEqual([expect.objectContaining({ sub: 'f3a1c2d4-service-account', issuer: idp.issuer })]);
    });
  });
});
