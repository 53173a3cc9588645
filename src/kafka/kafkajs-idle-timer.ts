// kafkajs 2.2.4 (pinned, unreleased since 2023) re-arms its pending-request check after every response, even when
// nothing is pending and no throttle runs: setTimeout(check, throttledUntil - Date.now()) with throttledUntil = -1,
// a delay near -1.8e12 ms. Node 24 prints a TimeoutNegativeWarning on stderr for it (the service's output is JSON
// only) and clamps it to 1 ms, so every idle broker connection also wakes the process every millisecond. The check
// is needed only while requests wait (push() schedules it then) or a throttle runs: the method below is kafkajs' own
// without the idle case (tulios/kafkajs#1751). Imported by kafka-client-options.ts, which every client goes through.

/** The fields of kafkajs' RequestQueue (src/network/requestQueue) that scheduling reads. */
export interface RequestQueueTimer {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
}

/** kafkajs' CHECK_PENDING_REQUESTS_INTERVAL. */
const RECHECK_MS = 10;

export function scheduleCheckPendingRequests(this: RequestQueueTimer): void {
  if (this.throttleCheckTimeoutId) return;
  const untilUnthrottled = this.throttledUntil - Date.now();
  if (this.pending.length === 0 && untilUnthrottled <= 0) return;
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    untilUnthrottled > 0 ? untilUnthrottled : RECHECK_MS,
  );
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const requestQueue = require('kafkajs/src/network/requestQueue') as { prototype: { scheduleCheckPendingRequests?: unknown } };
if (typeof requestQueue.prototype.scheduleCheckPendingRequests !== 'function') {
  throw new Error('kafkajs changed: RequestQueue.scheduleCheckPendingRequests is gone; drop src/kafka/kafkajs-idle-timer.ts');
}
requestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
