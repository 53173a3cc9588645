import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'billing:public-route';
export const REQUIRED_ROLES = 'billing:required-roles';

/** Opts a route out of authentication. Every route is protected unless it says this. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/** The caller needs every listed role. */
export const Roles = (...roles: string[]): MethodDecorator & ClassDecorator => SetMetadata(REQUIRED_ROLES, roles);
