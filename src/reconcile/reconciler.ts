import { DataSource } from 'typeorm';
import { ConsumedMessage } from '../kafka/kafka-message';
import { KafkaClient } from '../kafka/kafka-client';
import { ConsumerOffsetsRepository } from '../consumer-offsets/consumer-offsets.repository';
import { TransactionRunner } from '../database/transaction-runner';
import { OrderEventParser } from '../order-events/order-event.parser';
import { deadLetterSourceOf, LoadedMessage, MessageLoader } from './loaded-message';
import { MESSAGE_CLASSES, MessageClass, MessageFacts, verdictOf } from './message-verdict';
import { describeBound, RangeBound } from './range-bound';
import { MessageReport, ReconcileSummary, ReportSink } from './reconcile-report';
import { ReconcileRepository, VerdictRow } from './reconcile.repository';
import { Span, TopicSpans } from './topic-spans';
import { BillingError } from '../common/errors';

export interface ReconcileOptions {
  topic: string;
  deadLetterTopic: string;
  groupId: string;
  from: RangeBound;
  to: RangeBound;
  /** Messages this long before the range are read too (not judged): they explain invoices created early in the window. */
  lookbackMs: number;
  idleTimeoutMs: number;
}

export type ReconcilePhase = 'range' | 'look-back' | 'report';
export type ProgressHandler = (phase: ReconcilePhase, done: number, total: number) => void;

const PAGE = 5000;

export class ReconcileError extends BillingError {
  readonly code = 'reconcile.no_group_offsets';
}
const FIRST_UUID = '00000000-0000-0000-0000-000000000000';

type Counted = Omit<ReconcileSummary, 'elapsedMs' | 'messagesPerSecond' | 'peakRssMb'>;

interface Window {
  from: Date;
  to: Date;
}

/** Accounts for every message of a topic range and every invoice of its time window. */
export class Reconciler {
  private readonly loader: MessageLoader;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly dataSource: DataSource,
    parser: OrderEventParser,
    private readonly progress: ProgressHandler = () => undefined,
  ) {
    this.loader = new MessageLoader(parser);
  }

  async run(options: ReconcileOptions, sink: ReportSink): Promise<ReconcileSummary> {
    const started = performance.now();
    // Before the session takes the CLI's one pooled connection.
    const positions = await this.resumePositions(options.groupId, options.topic);
    const admin = this.kafka.admin();
    const session = this.dataSource.createQueryRunner();
    await Promise.all([admin.connect(), session.connect()]);
    const repository = new ReconcileRepository(session);
    try {
      await repository.createWorkTables();
      const run = new ReconcileRun(options, new TopicSpans(this.kafka, admin), positions, repository, this.loader, this.progress);
      const counted = await run.execute(sink);
      const summary = { ...counted, ...rates(counted.messages, started) };
      await sink.finish(summary);
      return summary;
    } finally {
      await repository.dropWorkTables().catch(() => undefined);
      await Promise.all([session.release(), admin.disconnect()]);
    }
  }

  /**
   * Where the service resumes each partition: the offsets stored with the data, read as the consumer reads them. Not
   * Kafka's committed offsets, which run ahead of a restored database: what lies between is pending, not lost.
   */
  private async resumePositions(groupId: string, topic: string): Promise<Map<number, number>> {
    const stored = await new ConsumerOffsetsRepository(new TransactionRunner(this.dataSource)).find(groupId, [topic]);
    return new Map(stored.map((offset) => [offset.partition, Number(offset.nextOffset)]));
  }
}

class ReconcileRun {
  private readonly counts = Object.fromEntries(MESSAGE_CLASSES.map((c) => [c, 0])) as Record<MessageClass, number>;
  private readonly deadLetteredByReason: Record<string, number> = {};
  private orphan = 0;
  private earliest = Infinity;
  private latest = -Infinity;

  constructor(
    private readonly options: ReconcileOptions,
    private readonly spans: TopicSpans,
    /** Where the service resumes each partition (resumePositions). */
    private readonly committed: ReadonlyMap<number, number>,
    private readonly repository: ReconcileRepository,
    private readonly loader: MessageLoader,
    private readonly progress: ProgressHandler,
  ) {}

  async execute(sink: ReportSink): Promise<Counted> {
    const { topic, from, to, groupId } = this.options;
    const range = await this.spans.resolve(topic, from, to);
    const committed = this.committed;
    // A mistyped group would make every message pending, and pending alone balances: refuse rather than pass.
    if (total(range) > 0 && committed.size === 0) {
      throw new ReconcileError(
        `consumer group ${groupId} has no committed offset on ${topic} in consumer_offsets: is --group (KAFKA_GROUP_ID) the service's group?`,
      );
    }
    await this.readRange(range, committed);
    const window = this.invoiceWindow();
    if (window) await this.readLookBack(range, window);
    await this.repository.prepareVerdicts();
    const messages = await this.reportMessages(sink, total(range));
    if (window) await this.reportOrphans(sink, window);
    return this.summarize(range, window, messages);
  }

  private summarize(range: Span[], window: Window | null, messages: number): Counted {
    const { topic, deadLetterTopic, groupId, from, to } = this.options;
    return {
      topic,
      deadLetterTopic,
      groupId,
      from: describeBound(from),
      to: describeBound(to),
      invoiceWindow: window && { from: window.from.toISOString(), to: window.to.toISOString() },
      partitions: range.map(({ partition, start, end }) => ({ partition, start, end })),
      messages,
      counts: this.counts,
      deadLetteredByReason: this.deadLetteredByReason,
      orphan: this.orphan,
      balanced: this.counts.unexplained === 0 && this.orphan === 0,
    };
  }

  private async readRange(range: Span[], committed: ReadonlyMap<number, number>): Promise<void> {
    let read = 0;
    await this.spans.read(
      range,
      async (span, messages) => {
        const commit = committed.get(span.partition) ?? -1;
        const rows = messages.map((m) => this.loader.load(m, span.partition, { inRange: true, pending: commit < 0 || Number(m.offset) >= commit }));
        rows.forEach((row) => this.see(row));
        await this.store(rows);
        this.progress('range', (read += messages.length), total(range));
      },
      this.options.idleTimeoutMs,
    );
  }

  /** Earlier messages of the input topic (to find first deliveries and explain invoices) and the dead letters of both. */
  private async readLookBack(range: Span[], window: Window): Promise<void> {
    const { topic, deadLetterTopic, lookbackMs, idleTimeoutMs } = this.options;
    const since = new Date(window.from.getTime() - lookbackMs);
    const [topicStarts, deadStarts, deadEnds] = await Promise.all([
      this.spans.offsetsForTime(topic, since),
      this.spans.offsetsForTime(deadLetterTopic, since),
      this.spans.endOffsets(deadLetterTopic),
    ]);
    const before = range.map((s) => ({ ...s, start: Math.min(topicStarts.get(s.partition) ?? s.start, s.start), end: s.start }));
    const dead = [...deadEnds].map(([partition, end]) => ({ topic: deadLetterTopic, partition, start: deadStarts.get(partition) ?? end, end }));
    let read = 0;
    await this.spans.read(
      [...before, ...dead],
      async (span, messages) => {
        await (span.topic === deadLetterTopic
          ? this.storeDeadLetters(messages)
          : this.store(messages.map((m) => this.loader.load(m, span.partition, { inRange: false, pending: false }))));
        this.progress('look-back', (read += messages.length), total([...before, ...dead]));
      },
      idleTimeoutMs,
    );
  }

  private async store(rows: LoadedMessage[]): Promise<void> {
    for (let i = 0; i < rows.length; i += PAGE) await this.repository.insertMessages(rows.slice(i, i + PAGE));
  }

  private async storeDeadLetters(messages: ConsumedMessage[]): Promise<void> {
    const sources = messages.flatMap((m) => deadLetterSourceOf(m.headers, this.options.topic) ?? []);
    await this.repository.insertDeadLetters(sources);
  }

  private see(row: LoadedMessage): void {
    this.earliest = Math.min(this.earliest, row.timestamp);
    this.latest = Math.max(this.latest, row.timestamp);
  }

  /** The bounds given as times, else the range's own first and last timestamps. */
  private invoiceWindow(): Window | null {
    const { from, to } = this.options;
    const start = from.kind === 'time' ? from.at.getTime() : this.earliest;
    const end = to.kind === 'time' ? to.at.getTime() : this.latest + 1;
    return Number.isFinite(start) && Number.isFinite(end) ? { from: new Date(start), to: new Date(end) } : null;
  }

  private async reportMessages(sink: ReportSink, expected: number): Promise<number> {
    let after = { partition: -1, offset: -1 };
    let reported = 0;
    for (;;) {
      const rows = await this.repository.verdictPage(after, PAGE);
      for (const row of rows) await sink.message(this.judge(row));
      reported += rows.length;
      this.progress('report', reported, expected);
      if (rows.length < PAGE) return reported;
      after = { partition: rows[rows.length - 1].partition, offset: Number(rows[rows.length - 1].offset) };
    }
  }

  private judge(row: VerdictRow): MessageReport {
    const verdict = verdictOf(factsOf(row));
    this.counts[verdict.class] += 1;
    if (verdict.class === 'dead_lettered') this.deadLetteredByReason[verdict.detail] = (this.deadLetteredByReason[verdict.detail] ?? 0) + 1;
    return {
      partition: row.partition,
      offset: row.offset,
      timestamp: new Date(Number(row.timestamp)).toISOString(),
      class: verdict.class,
      detail: verdict.detail,
      eventId: row.event_id,
      tenantId: row.tenant_id,
      orderId: row.order_id,
      amount: row.amount,
      currency: row.currency,
      invoiceId: row.invoice_id,
    };
  }

  private async reportOrphans(sink: ReportSink, window: Window): Promise<void> {
    await this.repository.collectOrphans(window.from, window.to);
    let after = FIRST_UUID;
    for (;;) {
      const rows = await this.repository.orphanPage(after, PAGE);
      for (const o of rows) {
        this.orphan += 1;
        await sink.orphan({
          invoiceId: o.id,
          eventId: o.event_id,
          tenantId: o.tenant_id,
          orderId: o.order_id,
          amount: o.amount,
          currency: o.currency,
          createdAt: o.created_at.toISOString(),
        });
      }
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1].id;
    }
  }
}

function factsOf(row: VerdictRow): MessageFacts {
  const event =
    row.event_id === null ? null : { eventId: row.event_id, tenantId: row.tenant_id!, orderId: row.order_id!, amount: row.amount!, currency: row.currency! };
  const invoice =
    row.invoice_id === null
      ? null
      : { id: row.invoice_id, tenantId: row.invoice_tenant_id!, orderId: row.invoice_order_id!, amount: row.invoice_amount!, currency: row.invoice_currency! };
  return {
    pending: row.pending,
    deadLetterReason: row.dead_letter_reason,
    poisonReason: row.poison_reason,
    event,
    isFirst: row.is_first,
    sameAsFirst: row.same_as_first,
    invoice,
    orderInvoiceEventId: row.order_invoice_event_id,
  };
}

function total(spans: readonly Span[]): number {
  return spans.reduce((sum, s) => sum + s.end - s.start, 0);
}

function rates(messages: number, started: number): Omit<ReconcileSummary, keyof Counted> {
  const elapsedMs = Math.round(performance.now() - started);
  return {
    elapsedMs,
    messagesPerSecond: Math.round(messages / Math.max(elapsedMs / 1000, 0.001)),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}
