import { MessageFacts, verdictOf } from './message-verdict';

const event = { eventId: 'e-1', tenantId: 'acme', orderId: 'o-1', amount: '149.90', currency: 'USD' };
const invoiced: MessageFacts = {
  pending: false,
  deadLetterReason: null,
  poisonReason: null,
  event,
  isFirst: true,
  sameAsFirst: true,
  invoice: { id: 'inv-1', tenantId: 'acme', orderId: 'o-1', amount: '149.90', currency: 'USD' },
  orderInvoiceEventId: 'e-1',
};

describe('verdictOf', () => {
  it('accepts the first delivery whose invoice carries its billing fields', () => {
    expect(verdictOf(invoiced)).toEqual({ class: 'invoiced', detail: '' });
  });

  it('counts a later delivery with the same fields as a duplicate, even when its invoice is gone', () => {
    expect(verdictOf({ ...invoiced, isFirst: false, invoice: null, orderInvoiceEventId: null }).class).toBe('duplicate');
  });

  it('accepts an order invoiced under another event as duplicate_order', () => {
    expect(verdictOf({ ...invoiced, invoice: null, orderInvoiceEventId: 'e-0' })).toEqual({ class: 'duplicate_order', detail: 'invoiced under event e-0' });
  });

  it('names the event of a missing invoice and the field of a changed one', () => {
    expect(verdictOf({ ...invoiced, invoice: null, orderInvoiceEventId: null })).toEqual({
      class: 'unexplained',
      detail: 'no invoice for event e-1 (tenant acme, order o-1)',
    });
    const changed = verdictOf({ ...invoiced, invoice: { ...invoiced.invoice!, amount: '1.00' } });
    expect(changed).toEqual({ class: 'unexplained', detail: 'invoice inv-1 of event e-1 differs: amount 1.00 (event 149.90)' });
  });

  it('requires poison and reused event_ids with other fields to be on the dead-letter topic', () => {
    expect(verdictOf({ ...invoiced, event: null, poisonReason: 'invalid_encoding' }).detail).toBe('poison (invalid_encoding) but not on the dead-letter topic');
    expect(verdictOf({ ...invoiced, isFirst: false, sameAsFirst: false }).class).toBe('unexplained');
    expect(verdictOf({ ...invoiced, isFirst: false, sameAsFirst: false, deadLetterReason: 'conflict' })).toEqual({
      class: 'dead_lettered',
      detail: 'conflict',
    });
  });

  it('does not judge what the group has not acknowledged yet', () => {
    expect(verdictOf({ ...invoiced, pending: true, invoice: null }).class).toBe('pending');
  });
});
