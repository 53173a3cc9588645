import { KafkaOptions, ServerKafka } from '@nestjs/microservices';
import { KafkaParser } from '@nestjs/microservices/helpers/kafka-parser';
import { KafkaRequestDeserializer } from '@nestjs/microservices/deserializers/kafka-request.deserializer';
import { KafkaRequest } from '@nestjs/microservices/serializers/kafka-request.serializer';
import { Consumer, ITopicConfig } from 'kafkajs';

type KafkaServerOptions = NonNullable<KafkaOptions['options']>;

/** Keeps key, value and headers as the original bytes: strict JSON parsing and the DLT need them untouched. */
class RawBytesParser extends KafkaParser {
  override parse<T = unknown>(data: { headers?: Record<string, unknown> }): T {
    return { ...data, headers: { ...(data.headers ?? {}) } } as T;
  }
}

/** Routes a configured topic (e.g. a test's own topic) to the handler of its logical pattern. */
class TopicBindingDeserializer extends KafkaRequestDeserializer {
  constructor(private readonly patternByTopic: ReadonlyMap<string, string>) {
    super();
  }

  override mapToSchema(data: KafkaRequest, options?: Record<string, unknown>) {
    const channel = options?.channel as string | undefined;
    const bound = channel === undefined ? options : { ...options, channel: this.patternByTopic.get(channel) ?? channel };
    return super.mapToSchema(data, bound);
  }
}

/**
 * Nest's Kafka server, with three changes: it subscribes to configured topics rather than to the
 * handler patterns, it keeps raw bytes, and the consumer group id is used as given (no "-server").
 */
export class BillingKafkaServer extends ServerKafka {
  constructor(
    options: KafkaServerOptions,
    private readonly patternByTopic: ReadonlyMap<string, string>,
    private readonly topicsToCreate: ITopicConfig[] = [],
  ) {
    super({ ...options, postfixId: '', deserializer: new TopicBindingDeserializer(patternByTopic) });
    this.parser = new RawBytesParser();
  }

  override async bindEvents(consumer: Consumer): Promise<void> {
    await this.createMissingTopics();
    await consumer.subscribe({ ...this.options.subscribe, topics: [...this.patternByTopic.keys()] });
    await consumer.run({ ...this.options.run, eachMessage: this.getMessageHandler() });
  }

  /** A consumer cannot subscribe to a topic that does not exist yet, and a DLT must exist before poison arrives. */
  private async createMissingTopics(): Promise<void> {
    if (this.topicsToCreate.length === 0 || !this.client) return;
    const admin = this.client.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: this.topicsToCreate, waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
  }
}
