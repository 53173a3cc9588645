import { toCanonicalAmount } from './money';

describe('toCanonicalAmount', () => {
  it.each([
    ['149.90', '149.90'],
    ['149.9', '149.90'],
    ['0', '0.00'],
    ['007.5', '7.50'],
    [149.9, '149.90'],
    [0.1, '0.10'],
    [12, '12.00'],
    ['123456789012345678.99', '123456789012345678.99'],
  ])('accepts %p as %p', (input, expected) => {
    expect(toCanonicalAmount(input)).toBe(expected);
  });

  it.each([
    ['-1'],
    [-0.5],
    ['1.005'],
    [1.005],
    ['1e3'],
    [1e13],
    [NaN],
    [Infinity],
    [''],
    ['12.'],
    ['.5'],
    [' 1'],
    [null],
    [true],
    [{}],
    ['1234567890123456789'],
  ])('rejects %p', (input) => {
    expect(toCanonicalAmount(input)).toBeNull();
  });
});
