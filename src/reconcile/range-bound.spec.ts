import { describeBound, parseRangeBound, RangeBoundError } from './range-bound';

describe('parseRangeBound', () => {
  it('reads an instant with a zone, a date as its UTC midnight, and partition offsets', () => {
    expect(parseRangeBound('2026-11-24T10:00:00+02:00')).toEqual({ kind: 'time', at: new Date('2026-11-24T08:00:00Z') });
    expect(parseRangeBound('2026-11-24')).toEqual({ kind: 'time', at: new Date('2026-11-24T00:00:00Z') });
    const bound = parseRangeBound('0:100,3:250');
    expect(bound).toEqual({
      kind: 'offsets',
      offsets: new Map([
        [0, 100],
        [3, 250],
      ]),
    });
    expect(describeBound(bound)).toBe('0:100,3:250');
  });

  it.each(['yesterday', '2026-11-24T10:00:00', '2026-13-01', '0:1,0:2', '0:', '1:99999999999999999999'])('refuses %s', (raw) => {
    expect(() => parseRangeBound(raw)).toThrow(RangeBoundError);
  });
});
