// A stand-in for Keycloak or Auth0 on 127.0.0.1: OIDC discovery and a JWKS endpoint (node:http), keys of the three
// algorithms the service accepts, and a switch that takes it down or makes it hang, counting every request it sees.
import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { CryptoKey, exportJWK, exportSPKI, generateKeyPair, JWK, JWTPayload, SignJWT } from 'jose';

export type SigningAlgorithm = 'RS256' | 'ES256' | 'EdDSA';
export type ProviderState = 'up' | 'down' | 'hanging';

interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: CryptoKey;
  publicJwk: JWK;
  publicPem: string;
}

export interface SignOptions {
  kid?: string;
  issuer?: string;
  audience?: string | string[];
  /** Seconds from now; negative for a token that has expired, null for none. */
  expiresIn?: number | null;
  /** Seconds from now before which the token is not valid. */
  notBefore?: number;
}

export const AUDIENCE = 'billing-api';
const REALM_PATH = '/realms/billing';
const JWKS_PATH = `${REALM_PATH}/protocol/openid-connect/certs`;

export class TestIdentityProvider {
  state: ProviderState = 'up';
  readonly requests = { discovery: 0, jwks: 0 };
  private readonly keys = new Map<string, SigningKey>();
  private readonly published = new Set<string>();
  private readonly hanging = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
  ) {}

  static async start(): Promise<TestIdentityProvider> {
    const handler: { answer?: (request: IncomingMessage, response: ServerResponse) => void } = {};
    const server = createServer((request, response) => handler.answer?.(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const provider = new TestIdentityProvider(server, `http://127.0.0.1:${port}${REALM_PATH}`);
    handler.answer = (request, response) => provider.answer(request, response);
    return provider;
  }

  get jwksUrl(): string {
    return `${this.issuer.slice(0, -REALM_PATH.length)}${JWKS_PATH}`;
  }

  /** The service's variables for this provider: JWKS URL mode, or discovery from the issuer alone. */
  env(mode: 'jwks-url' | 'discovery', extra: Record<string, string> = {}): Record<string, string> {
    return {
      // An empty value is an unset one: the fixture's HS256 secret would make a mixed configuration.
      AUTH_JWT_SECRET: '',
      AUTH_ISSUER: this.issuer,
      AUTH_AUDIENCE: AUDIENCE,
      ...(mode === 'jwks-url' && { AUTH_JWKS_URL: this.jwksUrl }),
      // Long enough for this in-process provider on a loaded machine; a hanging one still costs a test only this.
      AUTH_IDP_TIMEOUT_MS: '3000',
      ...extra,
    };
  }

  /** A new key pair; published (in the JWKS) unless told otherwise. */
  async addKey(alg: SigningAlgorithm, options: { publish?: boolean } = {}): Promise<string> {
    const kid = `${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`;
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
    this.keys.set(kid, { kid, alg, privateKey, publicJwk, publicPem: await exportSPKI(publicKey) });
    if (options.publish ?? true) this.published.add(kid);
    return kid;
  }

  publish(kid: string): void {
    this.published.add(kid);
  }

  publicPem(kid: string): string {
    return this.key(kid).publicPem;
  }

  async sign(kid: string, claims: JWTPayload, options: SignOptions = {}): Promise<string> {
    const key = this.key(kid);
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: options.kid ?? kid, typ: 'JWT' })
      .setIssuer(options.issuer ?? this.issuer)
      .setAudience(options.audience ?? AUDIENCE)
      .setIssuedAt(now);
    if (options.expiresIn !== null) jwt.setExpirationTime(now + (options.expiresIn ?? 3600));
    if (options.notBefore !== undefined) jwt.setNotBefore(now + options.notBefore);
    return jwt.sign(key.privateKey);
  }

  /** Answers the hanging requests' sockets and stops listening. */
  async close(): Promise<void> {
    this.hanging.forEach((response) => response.destroy());
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private key(kid: string): SigningKey {
    const key = this.keys.get(kid);
    if (!key) throw new Error(`no key ${kid}`);
    return key;
  }

  private answer(request: IncomingMessage, response: ServerResponse): void {
    const path = request.url ?? '';
    if (path === `${REALM_PATH}/.well-known/openid-configuration`) this.requests.discovery += 1;
    else if (path === JWKS_PATH) this.requests.jwks += 1;
    else return void response.writeHead(404).end();
    if (this.state === 'hanging') return void this.hanging.add(response);
    if (this.state === 'down') return void response.writeHead(503).end('{"error":"down"}');
    const body =
      path === JWKS_PATH
        ? { keys: [...this.published].map((kid) => this.key(kid).publicJwk) }
        : { issuer: this.issuer, jwks_uri: this.jwksUrl, id_token_signing_alg_values_supported: ['RS256', 'ES256', 'EdDSA'] };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }
}
