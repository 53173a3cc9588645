import { AppError } from '../common/errors';

export class MissingTokenError extends AppError {
  readonly code = 'auth.token_missing';
}

export class InvalidTokenError extends AppError {
  readonly code = 'auth.token_invalid';
}

export class ExpiredTokenError extends AppError {
  readonly code = 'auth.token_expired';
}

export class ForbiddenError extends AppError {
  readonly code = 'auth.forbidden';
}
