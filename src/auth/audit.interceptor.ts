import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { from, lastValueFrom, Observable } from 'rxjs';
import { ADMIN_ACTION, AdminActionMetadata } from './auth.decorators';
import { AuthenticatedRequest } from './principal';
import { auditRequest, HttpRequestLike } from './audit-request';
import { AuditTrail } from './audit-trail';

/** Wraps every @AdminAction route the guard let through in the audit trail (refusals are recorded by the guard). */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly trail: AuditTrail,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const admin = this.reflector.get<AdminActionMetadata | undefined>(ADMIN_ACTION, context.getHandler());
    if (!admin || context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<AuthenticatedRequest & HttpRequestLike>();
    if (!request.principal) throw new Error(`admin action ${admin.action} reached without a principal`);
    const audited = auditRequest(admin.action, request.principal, request);
    // next.handle() is called inside record(): Nest binds the handler to the async context of that call, which is
    // where the shared transaction lives.
    return from(this.trail.record(audited, admin.sharesTransaction, () => lastValueFrom(next.handle())));
  }
}
