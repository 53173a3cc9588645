import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { CliUsageError } from '../src/cli/cli-args';
import { formatReplaySummary, parseReplayArgs, replayDeadLetters, ReplayOptions } from '../src/cli/dlt-replay';
import { producerHeaders } from '../src/kafka/kafka-headers';
import { parsePublishArgs, publishEvents } from '../src/cli/publish';
import { asMessage, BROKERS, orderCompleted, TestKafka, uniqueName, waitFor } from './support/kafka';
import { ROOT, startTestApp, TestDatabase } from './support/fixture';

const defaults = { brokers: BROKERS.join(','), topic: 'order.completed' };

describe('operator CLIs (real Kafka, real PostgreSQL)', () => {
  let kafka: TestKafka;

  beforeAll(async () => {
    kafka = await new TestKafka().connect();
  });

  afterAll(async () => {
    await kafka.disconnect();
  });

  describe('publish', () => {
    it('parses its flags and names the bad one', () => {
      expect(parsePublishArgs(['--count', '1000', '--tenants', '3', '--duplicate-rate', '0.2', '--poison-rate', '0.01', '--topic', 't'], defaults)).toEqual({
        count: 1000,
        tenants: 3,
        duplicateRate: 0.2,
        poisonRate: 0.01,
        topic: 't',
        brokers: BROKERS,
      });
      const usageError = (argv: string[]) => {
        try {
          parsePublishArgs(argv, defaults);
        } catch (error) {
          if (error instanceof CliUsageError) return error.message;
          throw error;
        }
        return 'no error';
      };
      expect(usageError([])).toBe('--count is required');
      expect(usageError(['--count', 'ten'])).toBe('--count must be an integer from 1 to 1000000, got "ten"');
      expect(usageError(['--count', '5', '--duplicate-rate', '20'])).toMatch(/^--duplicate-rate must be a fraction from 0 to 1/);
      expect(usageError(['--count', '5', '--brokers', 'nohost'])).toMatch(/^--brokers must be a comma-separated list of host:port/);
      expect(usageError(['--count', '5', '--colour'])).toMatch(/--colour/);
    });

    it('publishes distinct events, exact re-sends of them after their original, and poison, keyed by order id', async () => {
      const topic = uniqueName('order.completed.publish');
      await kafka.createTopic(topic, 3);
      const progress: number[] = [];
      const summary = await publishEvents(
        { count: 40, tenants: 3, duplicateRate: 0.25, poisonRate: 0.1, topic, brokers: BROKERS },
        { onProgress: (sent) => progress.push(sent) },
      );
      expect(summary).toEqual({ topic, events: 54, distinct: 40, duplicates: 10, poison: 4 });
      expect(progress.at(-1)).toBe(54);

      const received = await kafka.readAll(topic, 54);
      expect(received).toHaveLength(54);
      const parsed = received.map((m) => {
        try {
          return { key: m.key, value: m.value?.toString() ?? '', json: JSON.parse(m.value?.toString() ?? '') as Record<string, string> };
        } catch {
          return { key: m.key, value: m.value?.toString() ?? '', json: undefined };
        }
      });
      const valid = parsed.filter((m) => m.json && !m.json.total.startsWith('-'));
      expect(valid).toHaveLength(50);
      expect(new Set(valid.map((m) => m.json?.event_id)).size).toBe(40);
      for (const m of valid) expect(m.key).toBe(m.json?.order_id);
      expect(new Set(valid.map((m) => m.json?.tenant_id))).toEqual(new Set(['tenant-1', 'tenant-2', 'tenant-3']));
      // A duplicate is the same event re-sent: byte-identical to its original.
      const byEvent = new Map<string, Set<string>>();
      for (const m of valid) byEvent.set(m.json!.event_id, (byEvent.get(m.json!.event_id) ?? new Set()).add(m.value));
      expect([...byEvent.values()].every((values) => values.size === 1)).toBe(true);
      expect(parsed.length - valid.length).toBe(4);
    });
  });

  describe('dlt:replay', () => {
    let db: TestDatabase;
    let app: INestApplication;
    let topic: string;
    let dlt: string;
    let consumerGroup: string;

    beforeAll(async () => {
      db = await TestDatabase.create('cli');
      topic = uniqueName('order.completed.replay');
      dlt = `${topic}.dlt`;
      consumerGroup = uniqueName('billing');
      await kafka.createTopic(topic, 1);
      await kafka.createTopic(dlt, 1);
      ({ app } = await startTestApp({ databaseUrl: db.url, topic, groupId: consumerGroup }));
    });

    afterAll(async () => {
      await app?.close();
      await db.drop();
    });

    const options = (argv: string[]): ReplayOptions => parseReplayArgs([...argv, '--topic', topic, '--group', uniqueName('replay')], defaults);

    it('re-publishes exactly the selected dead letters, and a replayed event that was already invoiced creates nothing', async () => {
      const invoiced = orderCompleted();
      const negative = orderCompleted({ total: '-5.00' });
      await kafka.publish(topic, [
        { ...asMessage(invoiced), headers: { trace: 't-1' } },
        { key: 'k-json', value: '{"event_id": ' },
        asMessage(negative),
        asMessage({ ...invoiced, total: '1.00' }),
      ]);
      await kafka.readAll(dlt, 3);
      expect(await db.count('invoices')).toBe(1);
      // As if the invoiced event had once been dead-lettered by a bug that is fixed now.
      await kafka.publish(dlt, [{ ...asMessage(invoiced), headers: { trace: 't-1', 'x-dlt-reason': 'invalid_payload', 'x-dlt-error': 'old bug' } }]);

      const replayGroup = uniqueName('replay');
      const replay = (argv: string[]) => replayDeadLetters(parseReplayArgs([...argv, '--topic', topic, '--group', replayGroup], defaults));
      const topicEndBefore = await kafka.endOffsets(topic);

      const dryRun = await replay(['--reason', 'invalid_payload', '--dry-run']);
      expect(dryRun).toMatchObject({ scanned: 4, selected: 2, republished: 0 });
      expect(dryRun.messages.filter((m) => m.action === 'would_republish').map((m) => m.key)).toEqual([negative.order_id, invoiced.order_id]);
      expect(await kafka.endOffsets(topic)).toBe(topicEndBefore);
      expect(await kafka.committedOffsets(replayGroup, dlt)).toBe(0);

      const real = await replay(['--reason', 'invalid_payload']);
      expect(real).toMatchObject({ scanned: 4, selected: 2, republished: 2 });
      expect(await kafka.endOffsets(topic)).toBe(topicEndBefore + 2);
      expect(await kafka.committedOffsets(replayGroup, dlt)).toBe(4);

      const onTopic = await kafka.readAll(topic, topicEndBefore + 2);
      const replayed = onTopic.slice(topicEndBefore);
      expect(replayed.map((m) => m.key)).toEqual([negative.order_id, invoiced.order_id]);
      expect(replayed[1].value?.toString()).toBe(JSON.stringify(invoiced));
      expect(replayed[1].headers).toEqual({ trace: 't-1' });

      // The consumer reads both: the already-invoiced event is a duplicate, the negative total is poison again.
      await waitFor(async () => (await kafka.committedOffsets(consumerGroup, topic)) === topicEndBefore + 2, 30_000, 'the consumer to process the replay');
      expect(await db.count('invoices')).toBe(1);
      expect(await db.count('processed_events')).toBe(1);
      await kafka.readAll(dlt, 5);

      const again = await replay(['--reason', 'invalid_payload']);
      expect(again).toMatchObject({ scanned: 1, selected: 1, republished: 1 });
      expect(again.messages[0].key).toBe(negative.order_id);
    });

    it('reads the whole topic again with --from-beginning, and stops at the end offsets it found at start', async () => {
      const everything = await replayDeadLetters(options(['--from-beginning', '--dry-run', '--reason', 'conflict']));
      expect(everything.selected).toBe(1);
      expect(everything.scanned).toBe(await kafka.endOffsets(dlt));
      expect(everything.messages.find((m) => m.action === 'would_republish')?.reason).toBe('conflict');
    });

    it('refuses a truncated letter unless --include-truncated, then keeps its headers; shows keys bounded', async () => {
      const [target, letters] = [uniqueName('order.completed.replay-truncated'), uniqueName('order.completed.replay-truncated.dlt')];
      await kafka.createTopic(target, 1);
      await kafka.createTopic(letters, 1);
      const truncation = { 'x-dlt-truncated-value': 'true', 'x-dlt-original-value-bytes': '2000000', 'x-dlt-original-value-sha256': 'ab'.repeat(32) };
      const original = { 'x-dup': [Buffer.from('1'), Buffer.from('2')], 'x-null': null };
      const longKey = 'k'.repeat(10_000);
      await kafka.publish(letters, [
        { key: longKey, value: '{"event_id": "cut', headers: producerHeaders({ ...original, ...truncation, 'x-dlt-reason': 'invalid_json' }) },
        { key: 'whole', value: '{"event_id": ', headers: producerHeaders({ ...original, 'x-dlt-reason': 'invalid_json' }) },
      ]);
      const replay = (argv: string[]) =>
        replayDeadLetters(parseReplayArgs([...argv, '--topic', target, '--dlt', letters, '--group', uniqueName('replay')], defaults));

      const lines: string[] = [];
      const refusing = await replayDeadLetters(parseReplayArgs(['--topic', target, '--dlt', letters, '--group', uniqueName('replay')], defaults), (l) =>
        lines.push(l),
      );
      expect(refusing).toMatchObject({ scanned: 2, republished: 1, refusedTruncated: 1 });
      expect(refusing.messages.map((m) => m.action)).toEqual(['refused_truncated', 'republished']);
      expect(refusing.messages[0].key).toBe(`${'k'.repeat(64)}...(10000 bytes)`);
      expect(Math.max(...lines.map((l) => l.length))).toBeLessThan(300);
      expect(formatReplaySummary(refusing, { topic: target, deadLetterTopic: letters })).toMatch(/1 refused as truncated .*--include-truncated/);

      const including = await replay(['--include-truncated']);
      expect(including).toMatchObject({ scanned: 2, republished: 2, refusedTruncated: 0 });
      const onTarget = await kafka.readAll(target, 3);
      expect(onTarget.map((m) => m.key?.length)).toEqual([5, 10_000, 5]);
      expect(onTarget[0].rawHeaders).toEqual(original);
      expect(onTarget[1].rawHeaders).toEqual({ ...original, ...Object.fromEntries(Object.entries(truncation).map(([k, v]) => [k, Buffer.from(v)])) });
    });
  });

  describe('errors', () => {
    let db: TestDatabase;

    beforeAll(async () => {
      db = await TestDatabase.create('cli_errors');
    });

    afterAll(async () => {
      await db.drop();
    });

    /** The built CLI as an operator runs it: a process of its own, its exit code and what it printed. */
    function runCli(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
      const env = { ...process.env, DATABASE_URL: db.url, KAFKA_BROKERS: BROKERS.join(',') };
      return new Promise((resolve) => {
        const child = execFile(process.execPath, [join(ROOT, 'dist', 'src', 'cli', script), ...args], { env, timeout: 120_000 }, (_error, stdout, stderr) =>
          resolve({ code: child.exitCode, stdout, stderr }),
        );
      });
    }

    it('offsets show on a missing topic exits 1 with one error line', async () => {
      const missing = uniqueName('order.completed.missing');
      expect(await runCli('offsets.js', ['show', '--topic', missing])).toEqual({ code: 1, stdout: '', stderr: `error: topic ${missing} does not exist\n` });
    });

    it('reconcile --out to a path it cannot write exits 1 with one error line, no stack trace', async () => {
      const result = await runCli('reconcile.js', ['--from', '2026-01-01T00:00:00Z', '--to', '2026-01-02T00:00:00Z', '--out', '/nonexistent/dir/report.csv']);
      expect(result).toEqual({ code: 1, stdout: '', stderr: "error: ENOENT: no such file or directory, open '/nonexistent/dir/report.csv'\n" });
    });
  });
});
