// What the suite calls in the built service, which it imports from dist/ as it ships: declared here, since Node runs
// this folder as it is, and held to the sources by test/support/chaos-built-service.ts (`npm run typecheck`).
import type { Admin, CompressionTypes, ITopicConfig, Message, Producer, ProducerRecord, RecordMetadata } from 'kafkajs';
import type { SendCodec } from '../support/standalone/send-codecs.ts';

/** dist/src/common/complete-send.js */
export interface BuiltCompleteSend {
  sendCompletely: (producer: Producer, record: Omit<ProducerRecord, 'messages'> & { messages: Message[] }, partitionCount: number) => Promise<RecordMetadata[]>;
}

/** dist/src/common/kafka-topics.js */
export interface BuiltKafkaTopics {
  createTopicsWithLeaders: (admin: Admin, topics: ITopicConfig[]) => Promise<void>;
}

/** dist/src/kafka/kafka-adapter.js */
export interface BuiltKafkaAdapter {
  installKafkaAdapter: () => void;
  compressionType: (codec: SendCodec) => CompressionTypes;
}
