import { JsonNumberText, toCanonicalAmount } from './money';

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
    [1e12, '1000000000000.00'],
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
    [-1e-7],
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

describe('toCanonicalAmount of a JSON number as written', () => {
  it.each([
    ['1e1', '10.00'],
    ['1E-2', '0.01'],
    ['1.50', '1.50'],
    ['15e-1', '1.50'],
    ['0.5E+1', '5.00'],
    ['149.90', '149.90'],
    ['0', '0.00'],
    ['-0', '0.00'],
    ['-0.000e-7', '0.00'],
    ['0e999999999999999999999', '0.00'],
    ['12.3400000000000000000000', '12.34'],
    ['100000000000000000000e-3', '100000000000000000.00'],
    ['123456789012345678.99', '123456789012345678.99'],
    ['10000000000000', '10000000000000.00'],
  ])('reads %s as %s', (source, expected) => {
    expect(toCanonicalAmount(new JsonNumberText(source))).toBe(expected);
  });

  it.each([
    ['1.005'],
    ['149.899999999999999999'],
    ['9.999999999999999999'],
    ['1e-3'],
    ['-1'],
    ['-0.01'],
    ['1e18'],
    ['1234567890123456789'],
    ['1e400'],
    ['1e999999999999999999999'],
    ['1e-999999999999999999999'],
    ['01'],
    ['1.'],
    ['.5'],
    ['+1'],
    [''],
    ['0x10'],
    ['Infinity'],
  ])('refuses %s', (source) => {
    expect(toCanonicalAmount(new JsonNumberText(source))).toBeNull();
  });
});
