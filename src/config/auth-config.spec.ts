import { ConfigValidationError } from './env-reader';
import { loadConfig } from './configuration';

const SECRET = 'a'.repeat(32);
const PROVIDER = { AUTH_ISSUER: 'https://idp.example.com/realms/billing', AUTH_AUDIENCE: 'billing-api' };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  return [];
}

describe('auth configuration', () => {
  it('defaults to HS256 with the secret, the default claims and a 30 s clock skew', () => {
    const auth = loadConfig({ AUTH_JWT_SECRET: SECRET }).auth;
    expect(auth).toMatchObject({ jwtSecret: SECRET, clockSkewSeconds: 30, identityProvider: undefined });
    expect(auth.claims).toEqual({ tenantClaim: 'tenant_id', rolesClaim: 'roles', adminRole: 'admin' });
  });

  it('reads an identity provider: discovery from the issuer, or an explicit JWKS URL, with its tuning', () => {
    expect(loadConfig(PROVIDER).auth.identityProvider).toEqual({
      issuer: PROVIDER.AUTH_ISSUER,
      audience: 'billing-api',
      jwksUrl: undefined,
      refreshIntervalMs: 600_000,
      cooldownMs: 30_000,
      timeoutMs: 5_000,
      allowPlainHttp: false,
    });
    const tuned = loadConfig({
      ...PROVIDER,
      AUTH_JWKS_URL: 'https://idp.example.com/certs',
      AUTH_JWKS_REFRESH_SECONDS: '60',
      AUTH_JWKS_COOLDOWN_SECONDS: '5',
      AUTH_IDP_TIMEOUT_MS: '2000',
      AUTH_CLOCK_SKEW_SECONDS: '0',
      AUTH_ROLES_CLAIM: 'realm_access.roles',
    }).auth;
    expect(tuned.identityProvider).toMatchObject({ jwksUrl: 'https://idp.example.com/certs', refreshIntervalMs: 60_000, cooldownMs: 5_000, timeoutMs: 2_000 });
    expect(tuned).toMatchObject({ jwtSecret: '', clockSkewSeconds: 0, claims: { rolesClaim: 'realm_access.roles' } });
  });

  it('refuses both modes at once, naming the variables', () => {
    expect(problemsOf({ AUTH_JWT_SECRET: SECRET, ...PROVIDER })).toEqual([
      'AUTH_JWT_SECRET cannot be combined with AUTH_ISSUER, AUTH_AUDIENCE: configure HS256 or an identity provider, not both',
    ]);
    expect(problemsOf({ AUTH_JWT_SECRET_FILE: '/run/secrets/jwt', AUTH_JWKS_URL: 'https://idp/certs', ...PROVIDER })[0]).toMatch(
      /^AUTH_JWT_SECRET_FILE cannot be combined with AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE/,
    );
  });

  it('refuses half an identity provider, naming what is missing', () => {
    expect(problemsOf({ AUTH_JWKS_URL: 'https://idp/certs' })).toEqual([
      "AUTH_ISSUER is required with an identity provider: every token's iss must equal it",
      "AUTH_AUDIENCE is required with an identity provider: every token's aud must name it",
    ]);
    expect(problemsOf({ AUTH_ISSUER: PROVIDER.AUTH_ISSUER })).toEqual(["AUTH_AUDIENCE is required with an identity provider: every token's aud must name it"]);
  });

  it('refuses provider tuning without a provider, and no mode at all', () => {
    expect(problemsOf({ AUTH_JWT_SECRET: SECRET, AUTH_JWKS_COOLDOWN_SECONDS: '5' })).toEqual([
      'AUTH_JWKS_COOLDOWN_SECONDS applies only with an identity provider (AUTH_ISSUER and AUTH_AUDIENCE)',
    ]);
    expect(problemsOf({})).toEqual(['AUTH_JWT_SECRET is required, or AUTH_ISSUER and AUTH_AUDIENCE to verify the tokens of an identity provider']);
  });

  it('fetches keys over https only, plain http on loopback or when allowed', () => {
    const httpIssuer = { AUTH_ISSUER: 'http://keycloak:8080/realms/billing', AUTH_AUDIENCE: 'billing-api' };
    expect(problemsOf(httpIssuer)).toEqual([
      'AUTH_ISSUER must be an https:// URL (http:// only on loopback or with AUTH_IDP_ALLOW_HTTP=true), got "http://keycloak:8080/realms/billing"',
    ]);
    expect(problemsOf({ ...httpIssuer, AUTH_IDP_ALLOW_HTTP: 'true' })).toEqual([]);
    expect(problemsOf({ ...PROVIDER, AUTH_ISSUER: 'http://127.0.0.1:8080/realms/billing' })).toEqual([]);
    expect(problemsOf({ ...PROVIDER, AUTH_JWKS_URL: 'ftp://idp/certs' })[0]).toMatch(/^AUTH_JWKS_URL must be an https:\/\/ URL/);
    // With an explicit JWKS URL the issuer is only compared, so it need not be a URL.
    expect(problemsOf({ AUTH_ISSUER: 'urn:billing:idp', AUTH_AUDIENCE: 'api', AUTH_JWKS_URL: 'https://idp/certs' })).toEqual([]);
  });

  it('bounds the skew, the cooldown and the timeout, and checks the claim names', () => {
    expect(
      problemsOf({
        ...PROVIDER,
        AUTH_CLOCK_SKEW_SECONDS: '301',
        AUTH_JWKS_COOLDOWN_SECONDS: '0',
        AUTH_IDP_TIMEOUT_MS: '60001',
        AUTH_TENANT_CLAIM: 'tenant id',
      }).sort(),
    ).toEqual([
      'AUTH_CLOCK_SKEW_SECONDS must be an integer from 0 to 300, got "301"',
      'AUTH_IDP_TIMEOUT_MS must be an integer from 100 to 60000, got "60001"',
      'AUTH_JWKS_COOLDOWN_SECONDS must be an integer from 1 to 3600, got "0"',
      'AUTH_TENANT_CLAIM must be a claim name or dotted path without spaces, got "tenant id"',
    ]);
  });
});
