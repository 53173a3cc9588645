// librdkafka's kcat (installed by the global setup through infra/): messages as Java and Go producers send them.
import { spawn } from 'node:child_process';
import { BROKERS } from './kafka';

export type KcatCodec = 'gzip' | 'snappy' | 'lz4' | 'zstd';

/**
 * Produces key/value lines to one partition with kcat, compressed with `codec`; `perBatch` messages at most go
 * into one record batch (librdkafka batches what waits for `linger.ms`).
 */
export function kcatProduce(topic: string, partition: number, codec: KcatCodec, messages: { key: string; value: string }[], perBatch = 10): Promise<void> {
  const args = ['-P', '-b', BROKERS.join(','), '-t', topic, '-p', String(partition), '-z', codec, '-K', '\t'];
  args.push('-X', `batch.num.messages=${perBatch}`, '-X', 'linger.ms=50', '-X', 'enable.idempotence=true');
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}: ${stderr}`))));
    for (const { key, value } of messages) child.stdin.write(`${key}\t${value}\n`);
    child.stdin.end();
  });
}
