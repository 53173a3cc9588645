import { once } from 'node:events';
import { MESSAGE_CLASSES } from './message-verdict';
import { MessageReport, OrphanReport, ReconcileSummary, ReportSink } from './reconcile-report';

export const REPORT_FORMATS = ['table', 'json', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Problems the table lists; the csv and json reports list every message. */
const TABLE_PROBLEM_LIMIT = 50;

export function createSink(format: ReportFormat, out: NodeJS.WritableStream): ReportSink {
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  if (format === 'json') return new JsonSink(write);
  if (format === 'csv') return new CsvSink(write);
  return new TableSink(write);
}

type Write = (text: string) => Promise<void>;

class TableSink implements ReportSink {
  private readonly problems: string[] = [];
  private problemCount = 0;

  constructor(private readonly write: Write) {}

  message(m: MessageReport): Promise<void> {
    if (m.class === 'unexplained') this.problem(`unexplained ${m.partition}@${m.offset} event ${m.eventId ?? '-'}: ${m.detail}`);
    return Promise.resolve();
  }

  orphan(o: OrphanReport): Promise<void> {
    this.problem(
      `orphan invoice ${o.invoiceId} event ${o.eventId} (tenant ${o.tenantId}, order ${o.orderId}, ${o.amount} ${o.currency}, created ${o.createdAt})`,
    );
    return Promise.resolve();
  }

  async finish(summary: ReconcileSummary): Promise<void> {
    const more = this.problemCount - this.problems.length;
    const problems = more > 0 ? [...this.problems, `... and ${more} more (--format csv lists them all)`] : this.problems;
    await this.write([formatSummary(summary), ...problems].join('\n') + '\n');
  }

  private problem(line: string): void {
    this.problemCount += 1;
    if (this.problems.length < TABLE_PROBLEM_LIMIT) this.problems.push(line);
  }
}

class JsonSink implements ReportSink {
  private section: 'none' | 'messages' | 'orphans' = 'none';
  private first = true;

  constructor(private readonly write: Write) {}

  message(m: MessageReport): Promise<void> {
    return this.item('messages', m);
  }

  orphan(o: OrphanReport): Promise<void> {
    return this.item('orphans', o);
  }

  async finish(summary: ReconcileSummary): Promise<void> {
    await this.open('orphans');
    await this.write(`\n],"summary":${JSON.stringify(summary)}}\n`);
  }

  private async item(section: 'messages' | 'orphans', value: object): Promise<void> {
    await this.open(section);
    await this.write(`${this.first ? '\n' : ',\n'}${JSON.stringify(value)}`);
    this.first = false;
  }

  /** Sections come in order (messages, then orphans), each opened once even when empty. */
  private async open(section: 'messages' | 'orphans'): Promise<void> {
    if (this.section === section) return;
    if (this.section === 'none') await this.write('{"messages":[');
    if (section === 'orphans') await this.write(`${this.section === 'none' ? '' : '\n'}],"orphans":[`);
    this.section = section;
    this.first = true;
  }
}

const CSV_COLUMNS = [
  'record',
  'partition',
  'offset',
  'timestamp',
  'class',
  'detail',
  'event_id',
  'tenant_id',
  'order_id',
  'amount',
  'currency',
  'invoice_id',
] as const;

class CsvSink implements ReportSink {
  private headerWritten = false;

  constructor(private readonly write: Write) {}

  message(m: MessageReport): Promise<void> {
    return this.row([`message`, m.partition, m.offset, m.timestamp, m.class, m.detail, m.eventId, m.tenantId, m.orderId, m.amount, m.currency, m.invoiceId]);
  }

  orphan(o: OrphanReport): Promise<void> {
    return this.row([
      `orphan`,
      null,
      null,
      o.createdAt,
      'orphan',
      'no message of the range carries its event',
      o.eventId,
      o.tenantId,
      o.orderId,
      o.amount,
      o.currency,
      o.invoiceId,
    ]);
  }

  async finish(): Promise<void> {
    await this.row(null);
  }

  private async row(values: (string | number | null)[] | null): Promise<void> {
    const header = this.headerWritten ? '' : `${CSV_COLUMNS.join(',')}\n`;
    this.headerWritten = true;
    await this.write(header + (values ? `${values.map(csvField).join(',')}\n` : ''));
  }
}

function csvField(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function formatSummary(s: ReconcileSummary): string {
  const reasons = Object.entries(s.deadLetteredByReason)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  const rows: [string, number, string][] = [
    ...MESSAGE_CLASSES.map((c): [string, number, string] => [c, s.counts[c], c === 'dead_lettered' && reasons ? `(${reasons})` : '']),
    ['messages', s.messages, ''],
    ['orphan invoices', s.orphan, ''],
  ];
  const window = s.invoiceWindow ? `invoices created ${s.invoiceWindow.from} .. ${s.invoiceWindow.to}` : 'empty range: no invoice window';
  return [
    `reconcile ${s.topic} from ${s.from} to ${s.to} (${s.partitions.length} partitions, group ${s.groupId}; ${window})`,
    ...rows.map(([name, n, note]) => `  ${name.padEnd(16)}${String(n).padStart(10)}  ${note}`.trimEnd()),
    `read ${s.messages} messages in ${(s.elapsedMs / 1000).toFixed(1)} s (${s.messagesPerSecond} messages/s), peak RSS ${s.peakRssMb} MB`,
    s.balanced
      ? `BALANCED: every message and every invoice of the range is accounted for${pendingNote(s.counts.pending)}`
      : `NOT BALANCED: ${s.counts.unexplained} unexplained, ${s.orphan} orphan`,
  ].join('\n');
}

function pendingNote(pending: number): string {
  return pending === 0 ? '' : ` (${pending} pending: not acknowledged by the group yet, judged by a later run)`;
}
