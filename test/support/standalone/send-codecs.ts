/**
 * Which codec each producer send of the chaos workload compresses its record batches with: Java and librdkafka
 * producers commonly use lz4 or zstd, so the service must bill all of them. Node built-ins only (see ./package.json).
 */
import type { Random } from './hostile-messages.ts';

export const SEND_CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type SendCodec = (typeof SEND_CODECS)[number];

/**
 * The codec of each next send: the first sends take one compressed codec each, so every codec is published however
 * short the run; after that a seeded pick, half of the sends uncompressed.
 */
export function sendCodecs(rng: Random): () => SendCodec {
  const compressed = SEND_CODECS.filter((codec) => codec !== 'none');
  let sent = 0;
  return () => {
    const codec = sent < compressed.length ? compressed[sent] : rng.chance(0.5) ? 'none' : rng.pick(compressed);
    sent += 1;
    return codec;
  };
}
