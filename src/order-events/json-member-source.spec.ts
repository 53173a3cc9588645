import { hostileMessages, seededRandom } from '../../test/support/standalone/hostile-messages';
import { rootNumberSource } from './json-member-source';

/** The oracle: V8's own parser with source text access (TC39 "JSON.parse source text access", Node 24). */
function reviverSource(text: string): string | undefined {
  const asWritten = (key: string, value: unknown, context?: { source?: string }) =>
    key === 'total' && typeof value === 'number' ? { source: context?.source } : value;
  return (JSON.parse(text, asWritten) as { total?: { source?: string } } | null)?.total?.source;
}

describe('rootNumberSource', () => {
  it.each([
    ['{"total":1e1}', '1e1'],
    ['{ "total" :\n\t-0.50E+2 }', '-0.50E+2'],
    ['{"a":{"total":1},"total":2.5}', '2.5'],
    ['{"total":1.005,"total":149.899999999999999999}', '149.899999999999999999'],
    ['{"\\u0074otal":12.345}', '12.345'],
    ['{"x":"\\"total\\":9,","total":3}', '3'],
    ['{"x":"\\\\","total":4}', '4'],
    ['{"l":[{"total":1},[{"total":2}]],"total":0}', '0'],
    ['{"total":"1.00"}', undefined],
    ['{"totals":1}', undefined],
  ])('reads %s as %p', (text, expected) => {
    expect(rootNumberSource(text, 'total')).toBe(expected);
    expect(reviverSource(text)).toBe(expected);
  });

  it('agrees with JSON.parse source text access on every hostile message and random nesting', () => {
    const rng = seededRandom(22);
    const texts = hostileMessages(22, 3_000, { tenantId: 't' }).flatMap((m) => (m.value ? [m.value.toString('utf8')] : []));
    const keys = ['"total"', '"\\u0074otal"', '"t\\"otal"', '"k"', '"\\\\"', '"}"'];
    const values = ['1.5e-3', '[{"total":7}]', '{"total":8,"x":[1,{"total":9}]}', '"\\"total\\":5"', 'null', '"1.00"'];
    const totals = ['1e1', '-0', '12.345', '9.999999999999999999', '0.5E+1'];
    for (let n = 0; n < 2_000; n += 1) {
      const members = Array.from({ length: rng.int(0, 5) }, () => `${rng.pick(keys)} : ${rng.pick(values)}`);
      members.splice(rng.int(0, members.length), 0, `"total":${rng.pick(totals)}`);
      texts.push(`{${members.join(',')}}`);
    }
    let compared = 0;
    for (const text of texts) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        continue;
      }
      if (typeof (json as { total?: unknown } | null)?.total !== 'number') continue;
      compared += 1;
      expect({ text, source: rootNumberSource(text, 'total') }).toEqual({ text, source: reviverSource(text) });
    }
    expect(compared).toBeGreaterThan(1_000);
  });
});
