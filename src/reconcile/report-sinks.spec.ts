import { PassThrough } from 'node:stream';
import { MessageReport, OrphanReport, ReconcileSummary } from './reconcile-report';
import { createSink, ReportFormat } from './report-sinks';

const message: MessageReport = {
  partition: 1,
  offset: '7',
  timestamp: '2026-11-24T10:00:00.000Z',
  class: 'unexplained',
  detail: 'no invoice for event e-1 (tenant acme, order "o,1")',
  eventId: 'e-1',
  tenantId: 'acme',
  orderId: 'o,1',
  amount: '149.90',
  currency: 'USD',
  invoiceId: null,
};
const orphan: OrphanReport = {
  invoiceId: 'inv-9',
  eventId: 'e-9',
  tenantId: 'acme',
  orderId: 'o-9',
  amount: '1.00',
  currency: 'USD',
  createdAt: '2026-11-24T10:00:01.000Z',
};
const summary = {
  topic: 'order.completed',
  from: '0:0',
  to: '2026-11-25T00:00:00.000Z',
  counts: { invoiced: 0, duplicate: 0, duplicate_order: 0, dead_lettered: 0, pending: 0, unexplained: 1 },
  deadLetteredByReason: {},
  partitions: [],
  messages: 1,
  orphan: 1,
  balanced: false,
} as unknown as ReconcileSummary;

async function render(format: ReportFormat, messages: MessageReport[], orphans: OrphanReport[]): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  const sink = createSink(format, out);
  for (const m of messages) await sink.message(m);
  for (const o of orphans) await sink.orphan(o);
  await sink.finish(summary);
  return Buffer.concat(chunks).toString();
}

describe('report sinks', () => {
  it('writes csv with quoted fields, one row per message and per orphan invoice', async () => {
    const lines = (await render('csv', [message], [orphan])).trimEnd().split('\n');
    expect(lines[0]).toBe('record,partition,offset,timestamp,class,detail,event_id,tenant_id,order_id,amount,currency,invoice_id');
    expect(lines[1]).toBe(
      'message,1,7,2026-11-24T10:00:00.000Z,unexplained,"no invoice for event e-1 (tenant acme, order ""o,1"")",e-1,acme,"o,1",149.90,USD,',
    );
    expect(lines[2]).toBe('orphan,,,2026-11-24T10:00:01.000Z,orphan,no message of the range carries its event,e-9,acme,o-9,1.00,USD,inv-9');
  });

  it.each([
    [[message], [orphan]],
    [[], [orphan]],
    [[message], []],
    [[], []],
  ])('writes one json document whatever is empty (%#)', async (messages, orphans) => {
    expect(JSON.parse(await render('json', messages, orphans))).toEqual({ messages, orphans, summary });
  });

  it('lists the problems under the summary table', async () => {
    const text = await render('table', [message], [orphan]);
    expect(text).toMatch(/^ {2}unexplained +1$/m);
    expect(text).toContain('unexplained 1@7 event e-1: no invoice for event e-1');
    expect(text).toContain('orphan invoice inv-9 event e-9');
    expect(text).toContain('NOT BALANCED: 1 unexplained, 1 orphan');
  });
});
