import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { PoisonMessageError, RejectedByDatabaseError } from '../common/errors';
import { LazyConnection } from '../common/lazy-connection';
import { ConsumerPolicyConfig, KafkaConfig } from '../config/configuration';
import { KafkaClient } from '../kafka/kafka-client';
import { messageHeaders } from '../kafka/kafka-headers';
import { isMessageTooLarge, KafkaProducer } from '../kafka/kafka-producer';
import { MessageCoordinates } from '../observability/event-outcome.recorder';
import { KafkaLogging } from '../observability/logging.module';
import { Tracing } from '../tracing/tracing';
import { fitDeadLetter } from './dead-letter.fit';

export interface OriginalMessage {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, unknown>;
}

/** Writes a poison message to the dead-letter topic byte for byte, with headers that say why. */
@Injectable()
export class DeadLetterPublisher implements OnApplicationShutdown {
  private readonly producer: LazyConnection<KafkaProducer>;

  constructor(
    private readonly config: KafkaConfig,
    private readonly policy: ConsumerPolicyConfig,
    kafkaLogging: KafkaLogging,
    private readonly tracing: Tracing,
  ) {
    const client = new KafkaClient(config, { clientId: `${config.clientId}-dlt`, logCreator: kafkaLogging.logCreator, silence: kafkaLogging.connectivity });
    this.producer = new LazyConnection(() => client.producer());
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
        const producer = await this.producer.get();
        await producer.send({
          topic: this.config.deadLetterTopic,
          acks: -1,
          timeout: this.config.timeouts.produceAckTimeoutMs,
          compression: this.policy.deadLetterCompression,
          messages: [letter],
        });
        return;
      } catch (sendError) {
        await this.producer.close();
        if (!isMessageTooLarge(sendError) || maxBytes <= MIN_DEAD_LETTER_BYTES) throw sendError;
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer.close();
  }
}

/** Small enough for any broker: the reason headers and the start of the value. */
const MIN_DEAD_LETTER_BYTES = 2_048;

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
