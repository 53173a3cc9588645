import { SetMetadata } from '@nestjs/common';

export const ADMIN_ACTION = 'billing:admin-action';

export { IS_PUBLIC, Public } from '../common/public-route';

export interface AdminActionMetadata {
  /** The name the audit trail records, e.g. retention.cleanup. */
  action: string;
  /** false for an action that commits on connections of its own: its audit row is written after it, not with it. */
  sharesTransaction: boolean;
}

/**
 * The one way to make a route admin-only (the role AUTH_ADMIN_ROLE): the guard refuses other callers and the audit
 * trail records every call, allowed or refused, so no admin action can be added unaudited.
 */
export const AdminAction = (action: string, options: { sharesTransaction?: boolean } = {}): MethodDecorator =>
  SetMetadata(ADMIN_ACTION, { action, sharesTransaction: options.sharesTransaction ?? true } satisfies AdminActionMetadata);

/** The OpenAPI security scheme every protected controller names with @ApiBearerAuth(). */
export const BEARER_SCHEME = 'bearer';
