import { sign, SignOptions } from 'jsonwebtoken';
import { TEST_JWT_SECRET } from './fixture';

export interface TokenClaims {
  tenant_id?: unknown;
  roles?: unknown;
  [claim: string]: unknown;
}

/** A token as a client would send it: HS256 with the test secret, one hour to live, unless told otherwise. */
export function token(claims: TokenClaims, options: SignOptions = { expiresIn: 3600 }, secret = TEST_JWT_SECRET): string {
  return sign(claims, secret, { algorithm: 'HS256', ...options });
}

export const tenantToken = (tenantId: string): string => token({ tenant_id: tenantId, roles: [] });
export const adminToken = (tenantId = 'ops'): string => token({ tenant_id: tenantId, roles: ['admin'] });

/** An unsigned token ("alg": "none"), which a verifier that trusts the header would accept. */
export function unsignedToken(claims: TokenClaims): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ exp: Math.floor(Date.now() / 1000) + 3600, ...claims })}.`;
}

export const bearer = (jwt: string): Record<string, string> => ({ Authorization: `Bearer ${jwt}` });
