import { registerCompressionCodecs } from './compression-codecs';
import { installFetchDecoding } from './fetch-decoding';

/**
 * Everything the service changes in kafkajs 2.2.4 (pinned), done once per process before a client is made:
 * every codec Kafka defines, and fetch responses decoded partition by partition.
 */
export function installKafkaAdapter(): void {
  registerCompressionCodecs();
  installFetchDecoding();
}

export { compressionType } from './compression-codecs';
export { COMPRESSION_CODECS, type CompressionCodec } from './compression-codec-names';
export { onUndecodableBatch, UndecodableBatchError, type UndecodableBatch } from './fetch-decoding';
