import './kafkajs-idle-timer';

interface RequestQueue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  scheduleCheckPendingRequests(): void;
  destroy(): void;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const RequestQueueClass = require('kafkajs/src/network/requestQueue') as new (options: Record<string, unknown>) => RequestQueue;

function requestQueue(): RequestQueue {
  const logger = { debug: () => undefined, warn: () => undefined };
  return new RequestQueueClass({ maxInFlightRequests: null, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 'spec', broker: 'b:9092', logger });
}

describe("kafkajs' pending-request check", () => {
  const queues: RequestQueue[] = [];
  const queue = (): RequestQueue => {
    queues.push(requestQueue());
    return queues[queues.length - 1];
  };

  afterEach(() => queues.splice(0).forEach((q) => q.destroy()));

  it('is not armed on an idle queue (no negative timer, no 1 ms wake-ups)', () => {
    const idle = queue();
    idle.scheduleCheckPendingRequests();
    expect(idle.throttleCheckTimeoutId).toBeNull();
  });

  it('is armed while a request waits', () => {
    const waiting = queue();
    waiting.pending.push({});
    waiting.scheduleCheckPendingRequests();
    expect(waiting.throttleCheckTimeoutId).not.toBeNull();
  });

  it('is armed while the broker throttles, with nothing waiting', () => {
    const throttled = queue();
    throttled.throttledUntil = Date.now() + 60_000;
    throttled.scheduleCheckPendingRequests();
    expect(throttled.throttleCheckTimeoutId).not.toBeNull();
  });
});
