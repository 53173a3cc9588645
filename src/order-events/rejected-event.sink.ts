import { PoisonMessageError } from '../common/errors';
import { FetchedMessage } from './delivery';

/**
 * Where a batch sends a message that can never succeed (poison, conflict). The transport provides it,
 * so a batch follows the same failure policy as a single message.
 */
export abstract class RejectedEventSink {
  abstract reject(message: FetchedMessage, error: PoisonMessageError): Promise<void>;
}
