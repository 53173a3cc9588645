import { Injectable } from '@nestjs/common';
import { JwtPayload, TokenExpiredError, verify } from 'jsonwebtoken';
import { AuthConfig } from '../config/configuration';
import { ExpiredTokenError, InvalidTokenError } from './auth.errors';
import { Principal } from './principal';

/** The contract's tenant_id rule: a claim outside it could not name any tenant's data. */
const TENANT_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Verifies an HS256 token; pinning the algorithm is what rejects "alg: none" and RS/HS confusion. */
@Injectable()
export class TokenVerifier {
  constructor(private readonly config: AuthConfig) {}

  verify(token: string): Principal {
    const claims = this.decode(token);
    if (typeof claims.exp !== 'number') throw new InvalidTokenError('token has no exp claim');
    const { tenant_id: tenantId, roles } = claims as { tenant_id?: unknown; roles?: unknown };
    if (typeof tenantId !== 'string' || !TENANT_ID.test(tenantId))
      throw new InvalidTokenError('token claim tenant_id must be 1-64 characters of [A-Za-z0-9._-]');
    if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) {
      throw new InvalidTokenError('token claim roles must be an array of strings');
    }
    return { tenantId, roles };
  }

  private decode(token: string): JwtPayload {
    try {
      const claims = verify(token, this.config.jwtSecret, { algorithms: ['HS256'] });
      if (typeof claims === 'string') throw new InvalidTokenError('token payload must be a JSON object');
      return claims;
    } catch (error) {
      if (error instanceof TokenExpiredError) throw new ExpiredTokenError('token expired');
      if (error instanceof InvalidTokenError) throw error;
      throw new InvalidTokenError(`invalid token: ${(error as Error).message}`);
    }
  }
}
