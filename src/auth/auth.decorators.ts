import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'billing:public-route';
export const ADMIN_ACTION = 'billing:admin-action';

/** Opts a route out of authentication. Every route is protected unless it says this. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

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
