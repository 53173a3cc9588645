import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { CryptoKey, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { pino } from 'pino';
import { IdentityProviderConfig } from '../config/configuration';
import { SigningKeysUnavailableError } from './auth.errors';
import { ProviderKeys } from './provider-keys';

type Answer = { status: number; body: string; headers?: Record<string, string> };

/** A provider on 127.0.0.1 whose answers each test sets. */
class Provider {
  answers: Record<string, Answer> = {};
  readonly seen: string[] = [];
  private constructor(
    private readonly server: Server,
    readonly origin: string,
  ) {}

  static async start(): Promise<Provider> {
    const holder: { provider?: Provider } = {};
    const server = createServer((request, response) => {
      holder.provider?.seen.push(request.url ?? '');
      const answer = holder.provider?.answers[request.url ?? ''] ?? { status: 404, body: '' };
      response.writeHead(answer.status, answer.headers).end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    holder.provider = new Provider(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return holder.provider;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('ProviderKeys', () => {
  let provider: Provider;
  let keys: ProviderKeys | undefined;
  let signingKey: CryptoKey;
  let jwks: string;

  const config = (overrides: Partial<{ issuer: string; jwksUrl: string }>) =>
    new IdentityProviderConfig({
      issuer: overrides.issuer ?? `${provider.origin}/realm`,
      audience: 'api',
      jwksUrl: overrides.jwksUrl,
      refreshIntervalMs: 600_000,
      cooldownMs: 0,
      timeoutMs: 1_000,
      allowPlainHttp: false,
    });
  const start = async (overrides: Partial<{ issuer: string; jwksUrl: string }>) => {
    keys = new ProviderKeys(config(overrides), pino({ level: 'silent' }));
    await keys.start();
    return keys;
  };
  const signed = (kid: string) => new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid }).sign(signingKey);
  const verifies = async (keySet: ProviderKeys, kid = 'k1') => jwtVerify(await signed(kid), keySet.resolve, { algorithms: ['ES256'] });

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    signingKey = pair.privateKey;
    jwks = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] });
  });

  beforeEach(async () => {
    provider = await Provider.start();
  });

  afterEach(async () => {
    keys?.stop();
    await provider.close();
  });

  it('discovers jwks_uri from the issuer and verifies with the keys there', async () => {
    provider.answers['/realm/.well-known/openid-configuration'] = {
      status: 200,
      body: JSON.stringify({ issuer: `${provider.origin}/realm`, jwks_uri: `${provider.origin}/certs` }),
    };
    provider.answers['/certs'] = { status: 200, body: jwks };
    await expect(verifies(await start({}))).resolves.toBeDefined();
  });

  it.each([
    ['names another issuer', (origin: string) => ({ issuer: 'https://evil.example.com/realm', jwks_uri: `${origin}/certs` })],
    ['points to plain http off loopback', (origin: string) => ({ issuer: `${origin}/realm`, jwks_uri: 'http://idp.example.com/certs' })],
  ])('uses no keys when the discovery document %s', async (_label, document) => {
    provider.answers['/realm/.well-known/openid-configuration'] = { status: 200, body: JSON.stringify(document(provider.origin)) };
    provider.answers['/certs'] = { status: 200, body: jwks };
    await expect(verifies(await start({}))).rejects.toBeInstanceOf(SigningKeysUnavailableError);
    expect(provider.seen.filter((path) => path === '/certs')).toEqual([]);
  });

  it.each<[string, Answer]>([
    ['an empty key set', { status: 200, body: '{"keys":[]}' }],
    ['a document over 1 MiB', { status: 200, body: JSON.stringify({ keys: [], padding: 'x'.repeat(1024 * 1024) }) }],
    ['a redirect', { status: 302, body: '', headers: { location: '/elsewhere' } }],
    ['not JSON', { status: 200, body: '<html>' }],
    ['a private key (a provider that leaks secrets)', { status: 200, body: '' }],
  ])('keeps the last good key set when the provider sends %s', async (label, answer) => {
    provider.answers['/certs'] = { status: 200, body: jwks };
    const keySet = await start({ jwksUrl: `${provider.origin}/certs` });
    if (label.startsWith('a private key')) {
      const { privateKey } = await generateKeyPair('ES256', { extractable: true });
      answer.body = JSON.stringify({ keys: [{ ...(await exportJWK(privateKey)), kid: 'k2' }] });
    }
    provider.answers['/certs'] = answer;
    // An unknown kid makes it fetch (no cooldown here); what it gets must not replace the good set.
    await expect(verifies(keySet, 'k2')).rejects.toThrow();
    expect(provider.seen.filter((path) => path === '/certs')).toHaveLength(2);
    await expect(verifies(keySet)).resolves.toBeDefined();
  });
});
