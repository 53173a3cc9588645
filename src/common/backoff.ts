/** Capped exponential backoff: initialMs, doubling per attempt (0-based), never above maxMs. */
export function cappedBackoffMs(attempt: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
}
