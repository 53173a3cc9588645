import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { CompressionTypes, Partitioners, Producer } from 'kafkajs';
import { BoundedKafka } from '../kafka/bounded-kafka';
import { PoisonMessageError, RejectedByDatabaseError } from '../common/errors';
import { messageHeaders, producerHeaders } from '../kafka/kafka-headers';
import { LazyConnection } from '../common/lazy-connection';
import { ConsumerPolicyConfig, KafkaConfig } from '../config/configuration';
import { MessageCoordinates } from '../observability/event-outcome.recorder';
import { KafkaLogging } from '../observability/logging.module';
import { fitDeadLetter } from './dead-letter.fit';
import { kafkaClientOptions } from '../kafka/kafka-client-options';
import { compressionType } from '../kafka/kafka-adapter';
import { Tracing } from '../tracing/tracing';

export interface OriginalMessage {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, unknown>;
}

/** Writes a poison message to the dead-letter topic byte for byte, with headers that say why. */
@Injectable()
export class DeadLetterPublisher implements OnApplicationShutdown {
  private readonly producer: LazyConnection<Producer>;
  private readonly compression: CompressionTypes;

  constructor(
    private readonly config: KafkaConfig,
    private readonly policy: ConsumerPolicyConfig,
    kafkaLogging: KafkaLogging,
    private readonly tracing: Tracing,
  ) {
    this.compression = compressionType(policy.deadLetterCompression);
    this.producer = new LazyConnection(() =>
      new BoundedKafka(
        { clientId: `${config.clientId}-dlt`, ...kafkaClientOptions(config), logCreator: kafkaLogging.logCreator },
        kafkaLogging.connectivity,
      ).producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
      }),
    );
  }

  /**
   * A letter the broker refuses as too large (the DLT topic may allow less than KAFKA_DLT_MAX_MESSAGE_BYTES) is
   * cut further until it fits, so poison never blocks. A failed send drops the producer, so the next send
   * connects a new one: an idempotent producer can be left unusable by a fatal error (fenced, out of sequence).
   */
  publish(original: OriginalMessage, source: MessageCoordinates, error: PoisonMessageError): Promise<void> {
    return this.tracing.send(this.config.deadLetterTopic, () => this.send(original, source, error));
  }

  /** The original headers stay exactly as they were (contract): a traceparent only if the producer sent one. */
  private async send(original: OriginalMessage, source: MessageCoordinates, error: PoisonMessageError): Promise<void> {
    const headers = messageHeaders(original.headers);
    const whole = { key: original.key, value: original.value, headers };
    for (let maxBytes = this.policy.deadLetterMaxBytes; ; maxBytes = Math.max(MIN_DEAD_LETTER_BYTES, Math.floor(maxBytes / 4))) {
      const letter = fitDeadLetter(whole, reasonHeaders(source, error), maxBytes);
      try {
        const message = { ...letter, headers: producerHeaders(letter.headers) };
        const producer = await this.producer.get();
        await producer.send({
          topic: this.config.deadLetterTopic,
          acks: -1,
          timeout: this.config.timeouts.produceAckTimeoutMs,
          compression: this.compression,
          messages: [message],
        });
        return;
      } catch (sendError) {
        await this.producer.close();
        if (!isTooLarge(sendError) || maxBytes <= MIN_DEAD_LETTER_BYTES) throw sendError;
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer.close();
  }
}

/** Small enough for any broker: the reason headers and the start of the value. */
const MIN_DEAD_LETTER_BYTES = 2_048;

function isTooLarge(error: unknown): boolean {
  for (let cause = error as { type?: unknown; cause?: unknown } | undefined; cause; cause = cause.cause as typeof cause) {
    if (cause.type === 'MESSAGE_TOO_LARGE' || cause.type === 'RECORD_LIST_TOO_LARGE') return true;
  }
  return false;
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
