/**
 * Every error the service raises on purpose carries a stable code that clients and operators can rely on,
 * and the HTTP status it means, so that a new error can never turn into an unexplained 500.
 */
export abstract class AppError extends Error {
  abstract readonly code: string;
  abstract readonly httpStatus: number;

  constructor(
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A request the client can fix: bad query parameters, a malformed id or cursor. */
export class InvalidRequestError extends AppError {
  readonly code = 'request.invalid';
  readonly httpStatus = 400;
}

export type PoisonReason = 'invalid_encoding' | 'invalid_json' | 'invalid_payload' | 'conflict' | 'rejected_by_database';

/** A message that can never succeed, however often it is retried. */
export class PoisonMessageError extends AppError {
  readonly code: string;
  /** Seen over HTTP only for RejectedByDatabaseError: data a client sent that PostgreSQL refused. */
  readonly httpStatus = 400;

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
