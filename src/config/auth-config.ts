import { EnvReader } from './env-reader';

export const MIN_JWT_SECRET_LENGTH = 32;
export const AUTH_ALGORITHMS = { local: ['HS256'], identityProvider: ['RS256', 'ES256', 'EdDSA'] } as const;

/** Where the tenant and the roles sit in a token, and which role opens the admin routes. */
export class ClaimMapping {
  constructor(
    /** A claim name (also one with dots, such as a namespaced URL) or a dotted path into nested objects. */
    readonly tenantClaim = 'tenant_id',
    /** As tenantClaim; `scope` and `scp` hold a space-separated string, every other roles claim an array of strings. */
    readonly rolesClaim = 'roles',
    readonly adminRole = 'admin',
  ) {}
}

/** Tokens signed by an identity provider, verified with the public keys of its JWKS. */
export class IdentityProviderConfig {
  constructor(
    /** Every token's iss must equal it; with no jwksUrl, OIDC discovery reads <issuer>/.well-known/openid-configuration. */
    readonly issuer: string,
    readonly audience: string,
    readonly jwksUrl: string | undefined,
    /** Keys are refetched in the background this often; a failed refetch keeps the keys it has. */
    readonly refreshIntervalMs = 600_000,
    /** At least this long between two fetches caused by an unknown kid (or after a failed fetch). */
    readonly cooldownMs = 30_000,
    /** Bound of every request to the provider (discovery and JWKS), body included. */
    readonly timeoutMs = 5_000,
    /** Plain http:// to a host other than loopback (AUTH_IDP_ALLOW_HTTP), e.g. inside a mesh that encrypts. */
    readonly allowPlainHttp = false,
  ) {}
}

/** Exactly one mode: identityProvider set (JWKS), or jwtSecret set (HS256, for local use and tests). */
export class AuthConfig {
  constructor(
    readonly jwtSecret: string,
    readonly claims = new ClaimMapping(),
    /** Leeway for exp and nbf, for clocks that disagree a little. */
    readonly clockSkewSeconds = 30,
    readonly identityProvider?: IdentityProviderConfig,
  ) {}
}

/** Any of these set means identity-provider mode. */
const PROVIDER_VARIABLES = ['AUTH_JWKS_URL', 'AUTH_ISSUER', 'AUTH_AUDIENCE'];
/** Tuning that means nothing without an identity provider: set in HS256 mode, it is a half configuration. */
const PROVIDER_TUNING = ['AUTH_JWKS_REFRESH_SECONDS', 'AUTH_JWKS_COOLDOWN_SECONDS', 'AUTH_IDP_TIMEOUT_MS', 'AUTH_IDP_ALLOW_HTTP'];
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

export function readAuth(env: EnvReader): AuthConfig {
  const claims = readClaimMapping(env);
  const clockSkewSeconds = env.integer('AUTH_CLOCK_SKEW_SECONDS', 30, { min: 0, max: 300 });
  const providerVariables = PROVIDER_VARIABLES.filter((name) => env.optionalString(name));
  const secretVariable = ['AUTH_JWT_SECRET', 'AUTH_JWT_SECRET_FILE'].find((name) => env.optionalString(name));
  if (providerVariables.length > 0) {
    if (secretVariable)
      env.check(secretVariable, false, `cannot be combined with ${providerVariables.join(', ')}: configure HS256 or an identity provider, not both`);
    return new AuthConfig('', claims, clockSkewSeconds, readIdentityProvider(env));
  }
  for (const name of PROVIDER_TUNING.filter((variable) => env.optionalString(variable)))
    env.check(name, false, 'applies only with an identity provider (AUTH_ISSUER and AUTH_AUDIENCE)');
  if (!secretVariable) {
    env.check('AUTH_JWT_SECRET', false, 'is required, or AUTH_ISSUER and AUTH_AUDIENCE to verify the tokens of an identity provider');
    return new AuthConfig('', claims, clockSkewSeconds);
  }
  const jwtSecret = env.secret('AUTH_JWT_SECRET');
  env.check('AUTH_JWT_SECRET', jwtSecret === '' || jwtSecret.length >= MIN_JWT_SECRET_LENGTH, `must be at least ${MIN_JWT_SECRET_LENGTH} characters`);
  return new AuthConfig(jwtSecret, claims, clockSkewSeconds);
}

function readIdentityProvider(env: EnvReader): IdentityProviderConfig {
  const issuer = env.optionalString('AUTH_ISSUER');
  const audience = env.optionalString('AUTH_AUDIENCE');
  const jwksUrl = env.optionalString('AUTH_JWKS_URL');
  env.check('AUTH_ISSUER', issuer !== undefined, "is required with an identity provider: every token's iss must equal it");
  env.check('AUTH_AUDIENCE', audience !== undefined, "is required with an identity provider: every token's aud must name it");
  const allowHttp = env.boolean('AUTH_IDP_ALLOW_HTTP', false);
  // Without AUTH_JWKS_URL the issuer is where discovery fetches from, so it must be a URL the service may call.
  const fetchedFrom = jwksUrl ? { name: 'AUTH_JWKS_URL', url: jwksUrl } : { name: 'AUTH_ISSUER', url: issuer };
  if (fetchedFrom.url !== undefined) checkProviderUrl(env, fetchedFrom.name, fetchedFrom.url, allowHttp);
  return new IdentityProviderConfig(
    issuer ?? '',
    audience ?? '',
    jwksUrl,
    env.integer('AUTH_JWKS_REFRESH_SECONDS', 600, { min: 1, max: 86_400 }) * 1000,
    env.integer('AUTH_JWKS_COOLDOWN_SECONDS', 30, { min: 1, max: 3_600 }) * 1000,
    env.integer('AUTH_IDP_TIMEOUT_MS', 5_000, { min: 100, max: 60_000 }),
    allowHttp,
  );
}

/** Keys fetched over plain HTTP could be swapped on the way; only loopback, or an explicit opt-in, may use it. */
export function isAllowedProviderUrl(text: string, allowPlainHttp: boolean): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || (url.protocol === 'http:' && (allowPlainHttp || LOOPBACK_HOSTS.has(url.hostname)));
  } catch {
    return false;
  }
}

function checkProviderUrl(env: EnvReader, name: string, text: string, allowHttp: boolean): void {
  env.check(name, isAllowedProviderUrl(text, allowHttp), `must be an https:// URL (http:// only on loopback or with AUTH_IDP_ALLOW_HTTP=true), got "${text}"`);
}

function readClaimMapping(env: EnvReader): ClaimMapping {
  const claim = (name: string, fallback: string) => {
    const value = env.string(name, fallback);
    env.check(name, value.length <= 256 && !/\s/.test(value), `must be a claim name or dotted path without spaces, got "${value}"`);
    return value;
  };
  return new ClaimMapping(claim('AUTH_TENANT_CLAIM', 'tenant_id'), claim('AUTH_ROLES_CLAIM', 'roles'), claim('AUTH_ADMIN_ROLE', 'admin'));
}
