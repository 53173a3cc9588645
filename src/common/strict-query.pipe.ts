import { ParseUUIDPipe, ValidationError, ValidationPipe } from '@nestjs/common';
import { InvalidRequestError } from './errors';

/** Query DTO validation that refuses unknown parameters and says what is wrong with each bad one. */
export function strictQuery(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    exceptionFactory: (errors: ValidationError[]) => new InvalidRequestError(describe(errors)),
  });
}

export function uuidParam(name: string): ParseUUIDPipe {
  return new ParseUUIDPipe({ version: undefined, exceptionFactory: () => new InvalidRequestError(`${name} must be a UUID`) });
}

function describe(errors: ValidationError[]): string {
  return errors
    .flatMap((e) => (e.constraints ? Object.values(e.constraints) : [`${e.property} is invalid`]))
    .map((m) => m.replace(/^property (\S+) should not exist$/, 'unknown query parameter "$1"'))
    .join('; ');
}
