import { AppError } from '../common/errors';

/** A request the client can fix: bad query parameters, a malformed id or cursor. */
export class InvalidRequestError extends AppError {
  readonly code = 'request.invalid';
  readonly httpStatus = 400;
}
