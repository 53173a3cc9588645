/** Every error the service raises on purpose carries a stable code that clients and operators can rely on. */
export abstract class AppError extends Error {
  abstract readonly code: string;

  constructor(message: string, readonly details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
  }
}

export type PoisonReason = 'invalid_json' | 'invalid_payload' | 'conflict';

/** A message that can never succeed, however often it is retried. */
export class PoisonMessageError extends AppError {
  readonly code: string;

  constructor(readonly reason: PoisonReason, message: string, details?: Record<string, unknown>) {
    super(message, details);
    this.code = `event.${reason}`;
  }
}

export class EventConflictError extends PoisonMessageError {
  constructor(eventId: string) {
    super('conflict', `event_id ${eventId} was already processed with different billing fields`, { event_id: eventId });
  }
}
