import { createParamDecorator, ExecutionContext } from '@nestjs/common';

/** Who is calling, as the verified token says. */
export interface Principal {
  tenantId: string;
  roles: readonly string[];
  /** Holds the configured admin role (AUTH_ADMIN_ROLE). */
  admin: boolean;
  /** The token's sub and iss, for the audit trail; null when the token has none (an HS256 token may not). */
  subject: string | null;
  issuer: string | null;
}

export function isAdmin(principal: Principal): boolean {
  return principal.admin;
}

export interface AuthenticatedRequest {
  principal?: Principal;
}

export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  // The global guard sets it on every non-public route; its absence is a wiring bug, not a client error.
  if (!principal) throw new Error('CurrentPrincipal used on a route without authentication');
  return principal;
});
