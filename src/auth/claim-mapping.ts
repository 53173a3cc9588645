import { TENANT_ID, TENANT_ID_RULE } from '../common/stored-fields';
import { ClaimMapping } from '../config/configuration';
import { InvalidTokenError } from './auth.errors';
import { Principal } from './principal';

/** OAuth's scope claims hold one space-separated string (RFC 8693 section 4.2, Entra ID's scp). */
const SPACE_SEPARATED_CLAIMS = new Set(['scope', 'scp']);

export type Claims = Readonly<Record<string, unknown>>;

/** The claim named `path` itself (namespaced claims are URLs with dots), else the dotted path into nested objects. */
export function claimAt(claims: Claims, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let value: unknown = claims;
  for (const segment of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Claims)[segment];
  }
  return value;
}

/** A verified token's claims as the service's principal; a claim of the wrong shape makes the token invalid. */
export function principalFromClaims(claims: Claims, mapping: ClaimMapping): Principal {
  const tenantId = claimAt(claims, mapping.tenantClaim);
  if (typeof tenantId !== 'string' || !TENANT_ID.test(tenantId)) throw new InvalidTokenError(`token claim ${mapping.tenantClaim} must be ${TENANT_ID_RULE}`);
  const roles = rolesAt(claims, mapping.rolesClaim);
  return {
    tenantId,
    roles,
    admin: roles.includes(mapping.adminRole),
    subject: typeof claims.sub === 'string' ? claims.sub : null,
    issuer: typeof claims.iss === 'string' ? claims.iss : null,
  };
}

/** No roles claim grants no role; a claim that is there must have the right shape. */
function rolesAt(claims: Claims, path: string): string[] {
  const value = claimAt(claims, path);
  if (value === undefined) return [];
  const spaceSeparated = SPACE_SEPARATED_CLAIMS.has(path.slice(path.lastIndexOf('.') + 1));
  if (spaceSeparated && typeof value === 'string') return value.split(' ').filter(Boolean);
  if (Array.isArray(value) && value.every((role) => typeof role === 'string')) return value;
  throw new InvalidTokenError(`token claim ${path} must be ${spaceSeparated ? 'a space-separated string or ' : ''}an array of strings`);
}
