import { InvalidRequestError } from '../common/errors';
import { parseListInvoicesQuery } from './list-invoices.query';

const refusal = (raw: Record<string, unknown>): string => {
  try {
    parseListInvoicesQuery(raw);
  } catch (error) {
    if (error instanceof InvalidRequestError) return error.message;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(raw)}`);
};

describe('parseListInvoicesQuery', () => {
  it('returns the parameters given, the limit as a number', () => {
    expect(parseListInvoicesQuery({})).toEqual({});
    expect(
      parseListInvoicesQuery({
        tenant_id: 'acme.eu-1',
        order_id: '\u{1F600}'.repeat(128),
        created_from: '2026-01-01',
        created_to: '2026-02-28T23:59:59.999999+01:00',
        limit: '200',
        cursor: 'abc',
      }),
    ).toEqual({
      tenant_id: 'acme.eu-1',
      order_id: '\u{1F600}'.repeat(128),
      created_from: '2026-01-01',
      created_to: '2026-02-28T23:59:59.999999+01:00',
      limit: 200,
      cursor: 'abc',
    });
  });

  it('names every problem at once, unknown parameters first', () => {
    expect(refusal({ limit: '0', colour: 'red', tenant_id: 'no spaces' })).toBe(
      'unknown query parameter "colour"; tenant_id must be 1-64 characters of [A-Za-z0-9._-]; limit must be from 1 to 200',
    );
    expect(refusal(Object.defineProperty({}, '__proto__', { value: 'x', enumerable: true }))).toBe('unknown query parameter "__proto__"');
  });

  it.each([['ten'], ['1e1'], [' 5'], ['-1'], ['5.0'], ['0x10'], ['']])('refuses the limit %j as no integer', (limit) => {
    expect(refusal({ limit })).toBe('limit must be an integer');
  });

  it.each([['0'], ['201'], ['99999999999999999999999']])('refuses the limit %s as out of range', (limit) => {
    expect(refusal({ limit })).toBe('limit must be from 1 to 200');
  });

  it.each([['2026-02-30'], ['2026-01-01T00:00'], ['2026-01-01T24:00:00Z'], ['2026-06-30T23:59:60Z'], ['2026-W05'], ['yesterday'], ['']])(
    'refuses %j as a bound: no real instant, or one only in the server zone',
    (created_from) => {
      expect(refusal({ created_from })).toBe('created_from must be an ISO 8601 date (YYYY-MM-DD) or a timestamp with a time zone');
    },
  );

  it('refuses an order id PostgreSQL would not store as sent', () => {
    expect(refusal({ order_id: '' })).toMatch(/^order_id must be 1-128 characters .*got 0$/);
    expect(refusal({ order_id: '\u{1F600}'.repeat(129) })).toMatch(/got 129$/);
    expect(refusal({ order_id: 'o-\ud800' })).toMatch(/well-formed Unicode/);
    expect(refusal({ order_id: 'o-\u0000' })).toMatch(/NUL/);
  });

  it('refuses a parameter given twice or as an object, never picking one of its values', () => {
    expect(refusal({ order_id: ['a', 'b'] })).toBe('order_id must be given once');
    expect(refusal({ tenant_id: ['a', 'a'] })).toBe('tenant_id must be given once');
    expect(refusal({ limit: ['5'] })).toBe('limit must be an integer');
    expect(refusal({ cursor: { a: '1' } })).toBe('cursor must be given once');
    expect(refusal({ cursor: 'x'.repeat(201) })).toBe('cursor is not valid');
  });
});
