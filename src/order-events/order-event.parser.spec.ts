import { BillingConfig } from '../config/configuration';
import { PoisonMessageError } from '../common/errors';
import { OrderEventParser } from './order-event.parser';

const valid = {
  event_id: '8C1F0F7E-3D5B-4D7A-9A43-0D3F2B8F9E10',
  order_id: 'o-1',
  tenant_id: 'acme.eu_1-x',
  total: '149.9',
  currency: 'EUR',
  occurred_at: '2026-11-20T10:00:00Z',
};

function parse(value: unknown) {
  return new OrderEventParser(new BillingConfig({ defaultCurrency: 'USD' })).parse(value);
}

function poisonReason(value: unknown): string {
  try {
    parse(value);
  } catch (error) {
    if (error instanceof PoisonMessageError) return `${error.reason}: ${error.message}`;
    throw error;
  }
  throw new Error('expected a PoisonMessageError');
}

describe('OrderEventParser', () => {
  it('parses raw bytes into a normalised event', () => {
    const event = parse(Buffer.from(JSON.stringify(valid)));
    expect(event).toMatchObject({
      eventId: '8c1f0f7e-3d5b-4d7a-9a43-0d3f2b8f9e10',
      orderId: 'o-1',
      tenantId: 'acme.eu_1-x',
      amount: '149.90',
      currency: 'EUR',
      occurredAt: new Date('2026-11-20T10:00:00Z'),
    });
    expect(event.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('applies the default currency and ignores unknown fields', () => {
    const { currency: _c, ...rest } = valid;
    expect(parse(Buffer.from(JSON.stringify({ ...rest, extra: { nested: true } })))).toMatchObject({ currency: 'USD' });
  });

  it('gives the same fingerprint to a string and a number total of the same amount', () => {
    expect(parse({ ...valid, total: 149.9 }).fingerprint).toBe(parse({ ...valid, total: '149.90' }).fingerprint);
  });

  it.each([
    ['tenant_id', { tenant_id: 'other' }],
    ['order_id', { order_id: 'o-2' }],
    ['total', { total: '149.91' }],
    ['currency', { currency: 'USD' }],
  ])('changes the fingerprint when %s changes', (_field, change) => {
    expect(parse({ ...valid, ...change }).fingerprint).not.toBe(parse(valid).fingerprint);
  });

  it('keeps the fingerprint when only non-billing fields change', () => {
    expect(parse({ ...valid, occurred_at: '2026-11-21T00:00:00Z', note: 'x' }).fingerprint).toBe(parse(valid).fingerprint);
  });

  it.each([
    [Buffer.from('{"event_id": '), /^invalid_json/],
    ['not json at all', /^invalid_json/],
    [Buffer.from([0x00, 0x01]), /^invalid_json/],
    [null, /^invalid_json: message value is empty/],
    [Buffer.from('[1,2]'), /^invalid_payload: message value must be a JSON object/],
    [Buffer.from('"text"'), /^invalid_payload/],
  ])('rejects %p as poison', (value, reason) => {
    expect(poisonReason(value)).toMatch(reason);
  });

  it.each([
    [{ event_id: 'nope' }, /event_id must be a UUID/],
    [{ event_id: undefined }, /event_id must be a UUID/],
    [{ order_id: '' }, /order_id must be 1-128 characters/],
    [{ order_id: 'x'.repeat(129) }, /order_id must be 1-128 characters .*got 129/],
    [{ order_id: '\u{1F600}'.repeat(129) }, /order_id must be 1-128 characters .*got 129/],
    [{ order_id: 'a\uFE0F'.repeat(65) }, /order_id must be 1-128 characters .*got 130/],
    [{ order_id: 'o-\u0000-1' }, /order_id must not contain NUL/],
    [{ order_id: 'o-\ud800' }, /order_id must be well-formed Unicode/],
    [{ order_id: 42 }, /order_id must be a string/],
    [{ tenant_id: 'a b' }, /tenant_id must be 1-64 characters/],
    [{ tenant_id: 'x'.repeat(65) }, /tenant_id must be 1-64 characters/],
    [{ total: '-1.00' }, /total must be a decimal string/],
    [{ total: '1.001' }, /total must be a decimal string/],
    [{ total: undefined }, /total must be a decimal string/],
    [{ currency: 'usd' }, /currency must be an upper-case ISO 4217 code/],
    [{ currency: 'XYZ' }, /currency must be an upper-case ISO 4217 code/],
    [{ occurred_at: 'yesterday' }, /occurred_at must be an ISO 8601 timestamp/],
    [{ occurred_at: '2026-02-30T10:00:00Z' }, /occurred_at must be an ISO 8601 timestamp/],
    [{ occurred_at: '2026-02-28T24:00:00Z' }, /occurred_at must be an ISO 8601 timestamp/],
    [{ occurred_at: '2026-12-31T23:59:60Z' }, /occurred_at must be an ISO 8601 timestamp/],
    [{ occurred_at: '2026-11-20T10:00:00' }, /occurred_at must be an ISO 8601 timestamp/],
    [{ occurred_at: '+275760-09-13T00:00:00Z' }, /occurred_at must be an ISO 8601 timestamp/],
    [{ occurred_at: 20261120 }, /occurred_at must be an ISO 8601 timestamp/],
  ])('rejects %p with a clear reason', (change, message) => {
    expect(poisonReason({ ...valid, ...change })).toMatch(message);
  });

  it.each([
    ['Latin-1 é', Buffer.concat([Buffer.from('{"order_id": "caf'), Buffer.from([0xe9]), Buffer.from('"}')])],
    ['an overlong encoding', Buffer.from([0x7b, 0xc0, 0x80, 0x7d])],
    ['a UTF-8 encoded surrogate', Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22])],
    ['a truncated sequence', Buffer.from([0x22, 0xe2, 0x82])],
  ])('refuses %s as invalid_encoding instead of decoding it lossily', (_shape, bytes) => {
    expect(poisonReason(bytes)).toMatch(/^invalid_encoding/);
  });

  it.each([
    ['128 astral code points', { order_id: '\u{1F600}'.repeat(128) }],
    ['a version 7 UUID', { event_id: '01932c07-2098-7a4e-9c1f-5bd2a0c0f0aa' }],
    ['the nil UUID', { event_id: '00000000-0000-0000-0000-000000000000' }],
    ['an offset timestamp with nanoseconds', { occurred_at: '2026-11-20T10:00:00.123456789+05:30' }],
    ['a null currency', { currency: null }],
  ])('accepts %s', (_shape, change) => {
    expect(() => parse({ ...valid, ...change })).not.toThrow();
  });

  it('reads occurred_at once into the instant it denotes', () => {
    expect(parse({ ...valid, occurred_at: '2026-11-20T10:00:00+02:00' }).occurredAt).toEqual(new Date('2026-11-20T08:00:00Z'));
  });

  it('keeps the identity of a rejected event for its log line', () => {
    try {
      parse({ ...valid, total: 'free' });
      throw new Error('expected poison');
    } catch (error) {
      expect((error as PoisonMessageError).details).toMatchObject({ event_id: valid.event_id, order_id: 'o-1', tenant_id: 'acme.eu_1-x' });
    }
  });

  describe('a JSON number total, judged as written', () => {
    const withTotal = (source: string, rest = '') => Buffer.from(`${JSON.stringify(valid).slice(0, -1)},"total":${source}${rest}}`);

    it.each([
      ['1e1', '10.00'],
      ['1E-2', '0.01'],
      ['1.50', '1.50'],
      ['-0', '0.00'],
    ])('invoices %s at %s', (source, amount) => {
      expect(parse(withTotal(source)).amount).toBe(amount);
    });

    it.each([['1.005'], ['149.899999999999999999'], ['9.999999999999999999'], ['1e99999999999999999999'], ['-0.01']])(
      'refuses %s as invalid_payload, where a float would have rounded it',
      (source) => {
        expect(poisonReason(withTotal(source))).toMatch(/^invalid_payload: .*total must be/);
      },
    );

    it('judges the last of duplicate total keys, as JSON.parse keeps it', () => {
      expect(poisonReason(Buffer.from(`${JSON.stringify(valid).slice(0, -1)},"total":"1.00","total":1.005}`))).toMatch(/^invalid_payload/);
      expect(parse(Buffer.from(`${JSON.stringify(valid).slice(0, -1)},"total":1.005,"total":"2.5"}`)).amount).toBe('2.50');
    });

    it('reads only the top-level total: a nested one is an unknown field', () => {
      expect(parse(withTotal('1e1', ',"lines":[{"total":1.005}]')).amount).toBe('10.00');
    });

    it('gives 1e1 the fingerprint of "10.00"', () => {
      expect(parse(withTotal('1e1')).fingerprint).toBe(parse({ ...valid, total: '10.00' }).fingerprint);
    });
  });
});
