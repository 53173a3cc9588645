import { createParamDecorator, ExecutionContext } from '@nestjs/common';

export const ADMIN_ROLE = 'admin';

/** Who is calling, as the verified token says. */
export interface Principal {
  tenantId: string;
  roles: readonly string[];
}

export function isAdmin(principal: Principal): boolean {
  return principal.roles.includes(ADMIN_ROLE);
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
