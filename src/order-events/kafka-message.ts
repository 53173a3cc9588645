import { KafkaContext } from '@nestjs/microservices';
import { MessageCoordinates } from '../observability/event-outcome.recorder';

export function coordinatesOf(context: KafkaContext): MessageCoordinates {
  return { topic: context.getTopic(), partition: context.getPartition(), offset: context.getMessage().offset };
}
