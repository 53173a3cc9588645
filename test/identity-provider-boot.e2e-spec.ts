import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { Fixture, ROOT } from './support/fixture';
import { TestIdentityProvider } from './support/identity-provider';
import { uniqueName } from './support/kafka';
import { freePort } from './support/standalone/service-process';
import { bearer } from './support/tokens';

describe('the built service with an identity provider (real PostgreSQL, provider on 127.0.0.1)', () => {
  let fixture: Fixture;
  let idp: TestIdentityProvider;

  beforeAll(async () => {
    fixture = await Fixture.create('identity_provider_boot', { build: true });
    idp = await TestIdentityProvider.start();
  }, 300_000);

  afterAll(async () => {
    await fixture?.close();
    await idp?.close();
  });

  const topicEnv = () => {
    const topic = uniqueName('order.completed.idp-boot');
    return { KAFKA_TOPIC: topic, OUTBOX_TOPIC: `${topic}.invoice-created`, KAFKA_GROUP_ID: uniqueName('billing'), OUTBOX_RELAY_ENABLED: 'false' };
  };

  it('boots in identity-provider mode, loads the keys once and verifies tokens signed with them', async () => {
    const kid = await idp.addKey('EdDSA');
    const port = await freePort();
    const service = await fixture.startService({ ...topicEnv(), ...idp.env('discovery'), PORT: String(port) });
    const get = async (jwt: string) => request(`http://127.0.0.1:${port}`).get('/invoices').set(bearer(jwt));
    expect((await get(await idp.sign(kid, { tenant_id: 'acme', roles: [] }))).status).toBe(200);
    expect((await get(await idp.sign(kid, { tenant_id: 'acme', roles: [] }, { audience: 'another-api' }))).status).toBe(401);
    expect(service.lines.filter((line) => line.msg === 'identity provider keys loaded')).toEqual([expect.objectContaining({ kids: [kid] })]);
    service.terminate();
    expect(await service.exited).toEqual({ code: 0, signal: null });
  });

  it('runs on the local issuer and tokens of npm run token (docs/security.md: generate a key, serve its JWKS, mint)', async () => {
    const script = join(ROOT, 'scripts', 'mint-token.ts');
    const mint = (...args: string[]) =>
      execFileSync(process.execPath, [script, ...args], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    const keyFile = join(mkdtempSync(join(tmpdir(), 'billing-idp-')), 'key.json');
    expect(JSON.parse(mint('--generate-key', keyFile, '--alg', 'RS256'))).toEqual({ keys: [expect.objectContaining({ kty: 'RSA', alg: 'RS256' })] });
    const idpPort = await freePort();
    const issuer = `http://127.0.0.1:${idpPort}`;
    const server: ChildProcess = spawn(process.execPath, [script, '--serve-jwks', keyFile, '--port', String(idpPort)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await new Promise((resolve) => server.stdout?.once('data', resolve));
      const port = await freePort();
      await fixture.startService({ ...topicEnv(), AUTH_JWT_SECRET: '', AUTH_ISSUER: issuer, AUTH_AUDIENCE: 'billing-api', PORT: String(port) });
      const jwt = mint('--key', keyFile, '--issuer', issuer, '--audience', 'billing-api', '--tenant', 'acme', '--admin');
      await request(`http://127.0.0.1:${port}`).post('/admin/cleanup').set(bearer(jwt)).expect(200);
    } finally {
      server.kill();
    }
  });

  it.each([
    [
      'both modes at once',
      { AUTH_ISSUER: 'https://idp.example.com/realms/billing', AUTH_AUDIENCE: 'billing-api' },
      /AUTH_JWT_SECRET cannot be combined with AUTH_ISSUER, AUTH_AUDIENCE/,
    ],
    [
      'half an identity provider',
      { AUTH_JWT_SECRET: '', AUTH_JWKS_URL: 'https://idp.example.com/certs' },
      /AUTH_ISSUER is required[^]*AUTH_AUDIENCE is required/,
    ],
    ['provider tuning in HS256 mode', { AUTH_JWKS_COOLDOWN_SECONDS: '5' }, /AUTH_JWKS_COOLDOWN_SECONDS applies only with an identity provider/],
  ])('refuses %s at boot with exit code 78, naming the variable', async (_label, env, message) => {
    const service = await fixture.startService({ ...topicEnv(), ...env }, { waitUntilReady: false });
    expect(await service.exited).toEqual({ code: 78, signal: null });
    const fatal = service.lines.find((line) => line.level === 'fatal');
    expect(fatal).toEqual(expect.objectContaining({ msg: 'billing-service cannot start: invalid configuration' }));
    expect((fatal?.problems as string[]).join('\n')).toMatch(message);
  });
});
