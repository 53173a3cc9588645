import { Injectable } from '@nestjs/common';

/** Time behind an injectable, so tests can age claims and drive the retention job deterministically. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
