import { BillingError } from '../common/errors';

export class MissingTokenError extends BillingError {
  readonly code = 'auth.token_missing';
}

export class InvalidTokenError extends BillingError {
  readonly code = 'auth.token_invalid';
}

export class ExpiredTokenError extends BillingError {
  readonly code = 'auth.token_expired';
}

export class ForbiddenError extends BillingError {
  readonly code = 'auth.forbidden';
}

/** Identity-provider mode before any key set could be fetched: the service cannot judge the token, the client did nothing wrong. */
export class SigningKeysUnavailableError extends BillingError {
  readonly code = 'auth.keys_unavailable';
}
