import { performance } from 'node:perf_hooks';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { auditRequest, HttpRequestLike } from './audit-request';
import { AuditTrail } from './audit-trail';
import { AuthConfig } from '../config/configuration';
import { ADMIN_ACTION, AdminActionMetadata, IS_PUBLIC } from './auth.decorators';
import { ForbiddenError, MissingTokenError } from './auth.errors';
import { AuthenticatedRequest } from './principal';
import { TokenVerifier } from './token-verifier';

interface HttpRequest extends AuthenticatedRequest, HttpRequestLike {
  headers: Record<string, string | string[] | undefined>;
}

/** Global: every HTTP route needs a valid token unless marked @Public(). Kafka handlers are not HTTP and pass. */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenVerifier,
    private readonly config: AuthConfig,
    private readonly audit: AuditTrail,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const started = performance.now();
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<HttpRequest>();
    const principal = await this.tokens.verify(bearerToken(request));
    request.principal = principal;
    const admin = this.reflector.get<AdminActionMetadata | undefined>(ADMIN_ACTION, context.getHandler());
    if (admin && !principal.admin) {
      const refusal = new ForbiddenError(`this route needs the role(s): ${this.config.claims.adminRole}`);
      await this.audit.refused(auditRequest(admin.action, principal, request), started, refusal.code);
      throw refusal;
    }
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
