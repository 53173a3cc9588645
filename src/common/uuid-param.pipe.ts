import { ParseUUIDPipe } from '@nestjs/common';
import { InvalidRequestError } from './errors';

/** A path parameter that must be a UUID: anything else is the client's mistake, a 400 that names the parameter. */
export function uuidParam(name: string): ParseUUIDPipe {
  return new ParseUUIDPipe({ version: undefined, exceptionFactory: () => new InvalidRequestError(`${name} must be a UUID`) });
}
