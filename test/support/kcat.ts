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

/**
 * The first `count` values of a partition, as librdkafka decodes them (one line each). It waits for them (`-c`), so a
 * letter still being replicated is not missed; should librdkafka fail to decode a batch, the timeout rejects with
 * kcat's stderr.
 */
export async function kcatConsume(topic: string, partition: number, count: number): Promise<string[]> {
  const output = await kcat(['-C', '-t', topic, '-p', String(partition), '-o', 'beginning', '-c', String(count), '-f', '%s\\n'], '', 30_000);
  return output.split('\n').filter(Boolean);
}

/** Settles on 'close', not 'exit': a child's last output can still be in the pipe when 'exit' fires (a loaded CI run read an empty line list that way). */
function kcat(args: string[], input = '', timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', ['-b', BROKERS.join(','), ...args], { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`kcat ${args[0]} exited ${code}: ${stderr}`))));
    child.stdin.end(input);
  });
}
