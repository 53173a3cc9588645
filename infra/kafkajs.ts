// The infra module's one door to kafkajs. Its idle connections get the service's fix (src/kafka/kafkajs-idle-timer.ts
// explains it): kafkajs arms its pending-request check with a negative delay when nothing waits, which prints
// Node 24's TimeoutNegativeWarning and wakes the process every millisecond. That file cannot be imported here: src/
// is a CommonJS package, and Node would reparse it as ESM with a warning of its own; so the same guard, as a wrapper.
import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';

interface RequestQueue {
  pending: unknown[];
  throttledUntil: number;
  scheduleCheckPendingRequests: (this: RequestQueue) => void;
}

const queue = (createRequire(import.meta.url)('kafkajs/src/network/requestQueue') as { prototype: RequestQueue }).prototype;
const scheduleCheck = queue.scheduleCheckPendingRequests;
queue.scheduleCheckPendingRequests = function (this: RequestQueue) {
  if (this.pending.length > 0 || this.throttledUntil > Date.now()) scheduleCheck.call(this);
};

export default kafkajs;
