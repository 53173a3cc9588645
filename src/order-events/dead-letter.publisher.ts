import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Kafka, Partitioners, Producer } from 'kafkajs';
import { PoisonMessageError, RejectedByDatabaseError } from '../common/errors';
import { LazyConnection } from '../common/lazy-connection';
import { ConsumerPolicyConfig, KafkaConfig } from '../config/configuration';
import { MessageCoordinates } from '../observability/event-outcome.recorder';
import { KafkaLogging } from '../observability/logging.module';
import { fitDeadLetter } from './dead-letter.fit';

export interface OriginalMessage {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, unknown>;
}

/** Writes a poison message to the dead-letter topic byte for byte, with headers that say why. */
@Injectable()
export class DeadLetterPublisher implements OnApplicationShutdown {
  private readonly producer: LazyConnection<Producer>;

  constructor(
    private readonly config: KafkaConfig,
    private readonly policy: ConsumerPolicyConfig,
    kafkaLogging: KafkaLogging,
  ) {
    this.producer = new LazyConnection(() =>
      new Kafka({ clientId: `${config.clientId}-dlt`, brokers: config.brokers, logCreator: kafkaLogging.logCreator }).producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
      }),
    );
  }

  /**
   * A failed send drops the producer, so the retry connects a new one: an idempotent producer can be left
   * unusable by a fatal error (fenced, out of sequence), and reusing it would fail forever.
   */
  async publish(original: OriginalMessage, source: MessageCoordinates, error: PoisonMessageError): Promise<void> {
    const letter = fitDeadLetter({ key: original.key, value: original.value, headers: toHeaderValues(original.headers) }, reasonHeaders(source, error), this.policy.deadLetterMaxBytes);
    const producer = await this.producer.get();
    try {
      await producer.send({ topic: this.config.deadLetterTopic, acks: -1, messages: [letter] });
    } catch (sendError) {
      await this.producer.close();
      throw sendError;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer.close();
  }
}

function reasonHeaders(source: MessageCoordinates, error: PoisonMessageError): Record<string, string> {
  return {
    'x-dlt-reason': error.reason,
    'x-dlt-error': error.message.slice(0, 2000).toWellFormed(),
    ...(error instanceof RejectedByDatabaseError && { 'x-dlt-sqlstate': error.sqlstate }),
    'x-dlt-source-topic': source.topic,
    'x-dlt-source-partition': String(source.partition),
    'x-dlt-source-offset': source.offset,
  };
}

function toHeaderValues(headers: Record<string, unknown> = {}): Record<string, Buffer | string> {
  return Object.fromEntries(
    Object.entries(headers).filter(([, v]) => Buffer.isBuffer(v) || typeof v === 'string') as [string, Buffer | string][],
  );
}
