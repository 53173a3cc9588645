import { ReadableName, TextName } from './config-table';
import { EnvReader } from './env-reader';
import { Fields } from './fields';

export const MIN_JWT_SECRET_LENGTH = 32;
export const AUTH_ALGORITHMS = { local: ['HS256'], identityProvider: ['RS256', 'ES256', 'EdDSA'] } as const;

/** Where the tenant and the roles sit in a token, and which role opens the admin routes. */
export class ClaimMapping {
  /** A claim name (also one with dots, such as a namespaced URL) or a dotted path into nested objects. */
  declare readonly tenantClaim: string;
  /** As tenantClaim; `scope` and `scp` hold a space-separated string, every other roles claim an array of strings. */
  declare readonly rolesClaim: string;
  declare readonly adminRole: string;

  constructor(fields: Fields<ClaimMapping>) {
    Object.assign(this, fields);
  }
}

/** Tokens signed by an identity provider, verified with the public keys of its JWKS. */
export class IdentityProviderConfig {
  /** Every token's iss must equal it; with no jwksUrl, OIDC discovery reads <issuer>/.well-known/openid-configuration. */
  declare readonly issuer: string;
  declare readonly audience: string;
  declare readonly jwksUrl: string | undefined;
  /** Keys are refetched in the background this often; a failed refetch keeps the keys it has. */
  declare readonly refreshIntervalMs: number;
  /** At least this long between two fetches caused by an unknown kid (or after a failed fetch). */
  declare readonly cooldownMs: number;
  /** Bound of every request to the provider (discovery and JWKS), body included. */
  declare readonly timeoutMs: number;
  /** Plain http:// to a host other than loopback (AUTH_IDP_ALLOW_HTTP), e.g. inside a mesh that encrypts. */
  declare readonly allowPlainHttp: boolean;

  constructor(fields: Fields<IdentityProviderConfig>) {
    Object.assign(this, fields);
  }
}

/** Exactly one mode: identityProvider set (JWKS), or jwtSecret set (HS256, for local use and tests). */
export class AuthConfig {
  declare readonly jwtSecret: string;
  declare readonly claims: ClaimMapping;
  /** Leeway for exp and nbf, for clocks that disagree a little. */
  declare readonly clockSkewSeconds: number;
  declare readonly identityProvider?: IdentityProviderConfig;

  constructor(fields: Fields<AuthConfig>) {
    Object.assign(this, fields);
  }
}

/** Any of these set means identity-provider mode. */
const PROVIDER_VARIABLES: ReadableName[] = ['AUTH_JWKS_URL', 'AUTH_ISSUER', 'AUTH_AUDIENCE'];
/** Tuning that means nothing without an identity provider: set in HS256 mode, it is a half configuration. */
const PROVIDER_TUNING: ReadableName[] = ['AUTH_JWKS_REFRESH_SECONDS', 'AUTH_JWKS_COOLDOWN_SECONDS', 'AUTH_IDP_TIMEOUT_MS', 'AUTH_IDP_ALLOW_HTTP'];
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

export function readAuth(env: EnvReader): AuthConfig {
  const claims = readClaimMapping(env);
  const clockSkewSeconds = env.integer('AUTH_CLOCK_SKEW_SECONDS');
  const providerVariables = PROVIDER_VARIABLES.filter((name) => env.optionalString(name));
  const secretVariable = (['AUTH_JWT_SECRET', 'AUTH_JWT_SECRET_FILE'] satisfies ReadableName[]).find((name) => env.optionalString(name));
  if (providerVariables.length > 0) {
    if (secretVariable)
      env.check(secretVariable, false, `cannot be combined with ${providerVariables.join(', ')}: configure HS256 or an identity provider, not both`);
    return new AuthConfig({ jwtSecret: '', claims, clockSkewSeconds, identityProvider: readIdentityProvider(env) });
  }
  for (const name of PROVIDER_TUNING.filter((variable) => env.optionalString(variable)))
    env.check(name, false, 'applies only with an identity provider (AUTH_ISSUER and AUTH_AUDIENCE)');
  if (!secretVariable) {
    env.check('AUTH_JWT_SECRET', false, 'is required, or AUTH_ISSUER and AUTH_AUDIENCE to verify the tokens of an identity provider');
    return new AuthConfig({ jwtSecret: '', claims, clockSkewSeconds, identityProvider: undefined });
  }
  const jwtSecret = env.secret('AUTH_JWT_SECRET');
  env.check('AUTH_JWT_SECRET', jwtSecret === '' || jwtSecret.length >= MIN_JWT_SECRET_LENGTH, `must be at least ${MIN_JWT_SECRET_LENGTH} characters`);
  return new AuthConfig({ jwtSecret, claims, clockSkewSeconds, identityProvider: undefined });
}

function readIdentityProvider(env: EnvReader): IdentityProviderConfig {
  const issuer = env.optionalString('AUTH_ISSUER');
  const audience = env.optionalString('AUTH_AUDIENCE');
  const jwksUrl = env.optionalString('AUTH_JWKS_URL');
  env.check('AUTH_ISSUER', issuer !== undefined, "is required with an identity provider: every token's iss must equal it");
  env.check('AUTH_AUDIENCE', audience !== undefined, "is required with an identity provider: every token's aud must name it");
  const allowHttp = env.boolean('AUTH_IDP_ALLOW_HTTP');
  // Without AUTH_JWKS_URL the issuer is where discovery fetches from, so it must be a URL the service may call.
  const fetchedFrom = jwksUrl ? { name: 'AUTH_JWKS_URL' as const, url: jwksUrl } : { name: 'AUTH_ISSUER' as const, url: issuer };
  if (fetchedFrom.url !== undefined) checkProviderUrl(env, fetchedFrom.name, fetchedFrom.url, allowHttp);
  return new IdentityProviderConfig({
    issuer: issuer ?? '',
    audience: audience ?? '',
    jwksUrl,
    refreshIntervalMs: env.integer('AUTH_JWKS_REFRESH_SECONDS') * 1000,
    cooldownMs: env.integer('AUTH_JWKS_COOLDOWN_SECONDS') * 1000,
    timeoutMs: env.integer('AUTH_IDP_TIMEOUT_MS'),
    allowPlainHttp: allowHttp,
  });
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

function checkProviderUrl(env: EnvReader, name: ReadableName, text: string, allowHttp: boolean): void {
  env.check(name, isAllowedProviderUrl(text, allowHttp), `must be an https:// URL (http:// only on loopback or with AUTH_IDP_ALLOW_HTTP=true), got "${text}"`);
}

function readClaimMapping(env: EnvReader): ClaimMapping {
  const claim = (name: TextName) => {
    const value = env.string(name);
    env.check(name, value.length <= 256 && !/\s/.test(value), `must be a claim name or dotted path without spaces, got "${value}"`);
    return value;
  };
  return new ClaimMapping({ tenantClaim: claim('AUTH_TENANT_CLAIM'), rolesClaim: claim('AUTH_ROLES_CLAIM'), adminRole: claim('AUTH_ADMIN_ROLE') });
}
