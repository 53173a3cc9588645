import { PoisonMessageError } from '../common/errors';
import { MessageCoordinates } from '../observability/event-outcome.recorder';
import { BatchMessage } from './event-batch';

/**
 * Where a batch sends a message that can never succeed (poison, conflict). The transport provides it,
 * so a batch follows the same failure policy as a single message.
 */
export abstract class RejectedEventSink {
  abstract reject(message: BatchMessage, source: MessageCoordinates, error: PoisonMessageError): Promise<void>;
}
