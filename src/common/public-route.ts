import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'billing:public-route';

/** Opts a route out of authentication. Every route is protected unless it says this. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
