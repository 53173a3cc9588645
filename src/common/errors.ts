import { ERROR_CODES, ErrorCode } from './error-codes';

/**
 * Every error the service raises on purpose carries a stable code from the registry (ERROR_CODES), which says whether
 * it is retriable. What it means to a transport (an HTTP status, a retry or a dead letter) is decided by that transport.
 */
export abstract class BillingError extends Error {
  abstract readonly code: ErrorCode;

  constructor(
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }

  get retriable(): boolean {
    return ERROR_CODES[this.code].retriable;
  }
}

/** A request the client can fix: bad query parameters, a malformed id or cursor. */
export class InvalidRequestError extends BillingError {
  readonly code = 'request.invalid';
}

export type PoisonReason = 'invalid_encoding' | 'invalid_json' | 'invalid_payload' | 'conflict' | 'rejected_by_database';

/** A message that can never succeed, however often it is retried. */
export class PoisonMessageError extends BillingError {
  readonly code: `event.${PoisonReason}`;

  constructor(
    readonly reason: PoisonReason,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(message, details);
    this.code = `event.${reason}`;
  }
}

export class EventConflictError extends PoisonMessageError {
  constructor(eventId: string) {
    super('conflict', `event_id ${eventId} was already processed with different billing fields`, { event_id: eventId });
  }
}

/**
 * PostgreSQL refused the data itself (SQLSTATE class 22 or 23, or an index row too large): the same
 * statement fails the same way on every retry, so the event that carries the data is poison.
 */
export class RejectedByDatabaseError extends PoisonMessageError {
  constructor(
    readonly sqlstate: string,
    databaseMessage: string,
  ) {
    super('rejected_by_database', `${sqlstate}: ${databaseMessage}`, { sqlstate });
  }
}
