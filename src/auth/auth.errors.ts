import { AppError } from '../common/errors';

export class MissingTokenError extends AppError {
  readonly code = 'auth.token_missing';
  readonly httpStatus = 401;
}

export class InvalidTokenError extends AppError {
  readonly code = 'auth.token_invalid';
  readonly httpStatus = 401;
}

export class ExpiredTokenError extends AppError {
  readonly code = 'auth.token_expired';
  readonly httpStatus = 401;
}

export class ForbiddenError extends AppError {
  readonly code = 'auth.forbidden';
  readonly httpStatus = 403;
}

/** Identity-provider mode before any key set could be fetched: the service cannot judge the token, the client did nothing wrong. */
export class SigningKeysUnavailableError extends AppError {
  readonly code = 'auth.keys_unavailable';
  readonly httpStatus = 503;
}
