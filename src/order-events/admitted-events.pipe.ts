import { Injectable, PipeTransform } from '@nestjs/common';
import { EventBatch } from './event-batch';
import { IdempotentEvent } from '../idempotency/idempotent-event';

/** Hands a batch handler the events its interceptor claimed, and nothing else. */
@Injectable()
export class AdmittedEventsPipe implements PipeTransform<EventBatch, readonly IdempotentEvent[]> {
  transform(batch: EventBatch): readonly IdempotentEvent[] {
    return batch.admitted();
  }
}
