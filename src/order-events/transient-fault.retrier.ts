import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { ConsumerPolicyConfig } from '../config/configuration';
import { DeliveryRetries } from '../observability/delivery-retries';
import { MessageCoordinates } from '../observability/event-outcome.recorder';
import { ROOT_LOGGER } from '../observability/root-logger';

export interface DeliveryControl {
  /** Tells the group this member is alive; throws when the group is rebalancing. */
  heartbeat(): Promise<void>;
  /** True once the consumer is stopping or has lost the partition: the message is left unacknowledged. */
  shouldGiveUp(): boolean;
}

/** Left unacknowledged because the consumer stops or lost the partition; kafkajs treats it as retriable. */
export class DeliveryAbandonedError extends Error {
  readonly retriable = true;

  constructor(override readonly cause: unknown) {
    super(`delivery abandoned while retrying: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'DeliveryAbandonedError';
  }
}

/** Heartbeats while a delivery runs or waits, well inside the shortest session timeout the broker allows. */
const HEARTBEAT_EVERY_MS = 1_000;

/**
 * Delivers messages until they are handled. Poison never reaches here (the handler dead-letters it), so any
 * error is a fault that can clear: it is retried in place with capped exponential backoff, never
 * acknowledged, while the member keeps heartbeating. Retrying in place instead of throwing to kafkajs keeps
 * the consumer alive and the group stable: kafkajs gives up on errors it deems unrecoverable (TypeError,
 * RangeError) and restarts the whole consumer on the others, which rebalances every member.
 */
@Injectable()
export class TransientFaultRetrier {
  private readonly logger: Logger;

  constructor(
    private readonly policy: ConsumerPolicyConfig,
    private readonly retries: DeliveryRetries,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ context: 'OrderEventsConsumer' });
  }

  /** `where` names the first message of each partition in the delivery. */
  async deliver(where: readonly MessageCoordinates[], work: () => Promise<void>, control: DeliveryControl): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await withHeartbeats(work, control);
        for (const { topic, partition } of where) this.retries.recovered(topic, partition);
        return;
      } catch (error) {
        if (control.shouldGiveUp()) throw new DeliveryAbandonedError(error);
        const delayMs = Math.min(this.policy.retryMaxMs, this.policy.retryInitialMs * 2 ** Math.min(attempt, 30));
        for (const message of where) this.retries.failed(message, error);
        this.logger.warn({ outcome: 'retrying', attempt: attempt + 1, retry_in_ms: delayMs, messages: where, error: errorFields(error) }, 'order.completed retrying after a transient fault');
        await waitWithHeartbeats(delayMs, control);
      }
    }
  }
}

async function withHeartbeats(work: () => Promise<void>, control: DeliveryControl): Promise<void> {
  const timer = setInterval(() => void control.heartbeat().catch(() => undefined), HEARTBEAT_EVERY_MS);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
}

/** A heartbeat that fails (the group rebalances) ends the wait by throwing, so kafkajs can rejoin. */
async function waitWithHeartbeats(delayMs: number, control: DeliveryControl): Promise<void> {
  const until = Date.now() + delayMs;
  while (Date.now() < until && !control.shouldGiveUp()) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(HEARTBEAT_EVERY_MS, until - Date.now())));
    await control.heartbeat();
  }
}

function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  return { name: error.name, code: (error as { code?: unknown }).code, message: error.message };
}
