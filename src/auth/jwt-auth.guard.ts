import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { IS_PUBLIC, REQUIRED_ROLES } from './auth.decorators';
import { ForbiddenError, MissingTokenError } from './auth.errors';
import { AuthenticatedRequest } from './principal';
import { TokenVerifier } from './token-verifier';

interface HttpRequest extends AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
}

/** Global: every HTTP route needs a valid token unless marked @Public(). Kafka handlers are not HTTP and pass. */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenVerifier,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<HttpRequest>();
    const principal = this.tokens.verify(bearerToken(request));
    request.principal = principal;
    const required = this.reflector.getAllAndOverride<string[] | undefined>(REQUIRED_ROLES, targets) ?? [];
    const missing = required.filter((role) => !principal.roles.includes(role));
    if (missing.length > 0) throw new ForbiddenError(`this route needs the role(s): ${missing.join(', ')}`);
    return true;
  }
}

function bearerToken(request: HttpRequest): string {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || header === '') throw new MissingTokenError('Authorization: Bearer <token> is required');
  const match = /^Bearer ([^\s]+)$/i.exec(header.trim());
  if (!match) throw new MissingTokenError('Authorization header must be "Bearer <token>"');
  return match[1];
}
