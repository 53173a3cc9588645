import { Global, Module } from '@nestjs/common';
import { EventOutcomeRecorder } from '../observability/event-outcome.recorder';
import { Clock } from './clock';

@Global()
@Module({
  providers: [Clock, EventOutcomeRecorder],
  exports: [Clock, EventOutcomeRecorder],
})
export class CommonModule {}
