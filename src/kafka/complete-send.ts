import { Partitioners } from 'kafkajs';
import { KafkaProducer, OutgoingRecord, WrittenPartition } from './kafka-producer';
import { BillingError } from '../common/errors';

/** A send that kafkajs reported done although some of its partitions were never written. Retriable: send again. */
export class IncompleteSendError extends BillingError {
  readonly code = 'kafka.incomplete_send';
}

/**
 * Sends `messages` to `topic` and fails unless every partition they go to was written. kafkajs 2.2.4 can resolve a
 * send with messages missing: when a retry finds a partition's new leader among the brokers that already answered
 * (a leader moved mid-send), it never sends that partition again. So each message gets its partition here, as the
 * default partitioner would give it (a key keeps its partition), and the answer must name each one without error;
 * a caller that sends again on the error may duplicate a message, never lose one.
 */
export async function sendCompletely(producer: KafkaProducer, record: OutgoingRecord, partitionCount: number): Promise<WrittenPartition[]> {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitionCount }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    replicas: [],
    isr: [],
    partitionErrorCode: 0,
  }));
  const messages = record.messages.map((message) => ({
    ...message,
    partition: message.partition ?? partitioner({ topic: record.topic, partitionMetadata, message: { key: message.key, value: message.value } }),
  }));
  const written = await producer.send({ ...record, messages });
  const confirmed = new Set(written.filter((r) => r.topicName === record.topic && r.errorCode === 0).map((r) => r.partition));
  const missing = [...new Set(messages.map((m) => m.partition))].filter((partition) => !confirmed.has(partition));
  if (missing.length > 0) {
    throw new IncompleteSendError(`the broker never confirmed partition(s) ${missing.join(', ')} of ${record.topic} in a send kafkajs reported done`);
  }
  return written;
}
