// librdkafka's kcat (installed by the global setup through infra/): messages as Java and Go producers send them.
import { spawn } from 'node:child_process';
import { BROKERS } from './kafka';

export type KcatCodec = 'gzip' | 'snappy' | 'lz4' | 'zstd';

/**
 * Produces key/value lines to one partition with kcat, compressed with `codec`; `perBatch` messages at most go
 * into one record batch (librdkafka batches what arrives within `linger.ms`).
 */
export async function kcatProduce(
  topic: string,
  partition: number,
  codec: KcatCodec,
  messages: { key: string; value: string }[],
  perBatch = 10,
): Promise<void> {
  const args = ['-P', '-t', topic, '-p', String(partition), '-z', codec, '-K', '\t'];
  args.push('-X', `batch.num.messages=${perBatch}`, '-X', 'linger.ms=1000', '-X', 'enable.idempotence=true');
  await kcat(args, messages.map(({ key, value }) => `${key}\t${value}\n`).join(''));
}

/** The values of a partition from its start to its end, as librdkafka decodes them (one line each). */
export async function kcatConsume(topic: string, partition: number): Promise<string[]> {
  const output = await kcat(['-C', '-t', topic, '-p', String(partition), '-o', 'beginning', '-e', '-q', '-f', '%s\\n']);
  return output.split('\n').filter(Boolean);
}

function kcat(args: string[], input = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', ['-b', BROKERS.join(','), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`kcat ${args[0]} exited ${code}: ${stderr}`))));
    child.stdin.end(input);
  });
}
