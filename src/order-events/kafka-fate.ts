import { PoisonMessageError } from '../common/errors';

/**
 * The consumer's one decision on a failed message: dead-letter it only when the error is not retriable and is about
 * the message itself (poison); retry everything else by parking the partition. A retriable fault passes by itself, an
 * error nobody classified (a raw driver error) may, and a non-retriable defect of the service must not dead-letter
 * every message it meets: the parked partition makes it visible instead.
 */
export function mustDeadLetter(error: unknown): error is PoisonMessageError {
  return error instanceof PoisonMessageError && !error.retriable;
}
