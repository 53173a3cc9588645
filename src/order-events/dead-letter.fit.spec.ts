import { createHash } from 'node:crypto';
import { fitDeadLetter } from './dead-letter.fit';

const own = { 'x-dlt-reason': 'invalid_json', 'x-dlt-error': 'message value is not JSON' };
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const bytesOf = (letter: ReturnType<typeof fitDeadLetter>) =>
  Buffer.byteLength(letter.key ?? '') +
  Buffer.byteLength(letter.value ?? '') +
  Object.entries(letter.headers).reduce((n, [k, v]) => [v].flat().reduce((m, one) => m + k.length + Buffer.byteLength(one ?? ''), n), 0);

describe('fitDeadLetter', () => {
  it('keeps a letter that fits byte for byte', () => {
    const letter = { key: 'o-1', value: Buffer.from('{oops'), headers: { traceparent: '00-abc' } };
    expect(fitDeadLetter(letter, own, 10_000)).toEqual({ key: 'o-1', value: letter.value, headers: { traceparent: '00-abc', ...own } });
  });

  it('keeps repeated keys in order, null and binary header values as they are', () => {
    const headers = { 'x-dup': ['1', '2'], 'x-null': null, 'x-bin': Buffer.from([0xff, 0x00]) };
    expect(fitDeadLetter({ key: null, value: Buffer.from('{'), headers }, own, 10_000).headers).toEqual({ ...headers, ...own });
  });

  it.each([5_000, 100_000, 1_000_000])('cuts a value too large for %i bytes and says what the original was', (maxBytes) => {
    const value = Buffer.alloc(maxBytes * 2, 0x41);
    const fitted = fitDeadLetter({ key: 'o-1', value, headers: { h: 'v' } }, own, maxBytes);
    expect(bytesOf(fitted)).toBeLessThanOrEqual(maxBytes);
    expect(fitted.value?.length).toBeGreaterThan(0);
    expect(value.subarray(0, fitted.value?.length).equals(fitted.value as Buffer)).toBe(true);
    expect(fitted.headers).toMatchObject({
      ...own,
      h: 'v',
      'x-dlt-truncated-value': 'true',
      'x-dlt-original-value-bytes': String(value.length),
      'x-dlt-original-value-sha256': sha256(value),
    });
  });

  it('drops the original headers and cuts the key when they alone are too large', () => {
    const key = Buffer.alloc(50_000, 0x6b);
    const fitted = fitDeadLetter({ key, value: Buffer.from('{}'), headers: { big: 'x'.repeat(50_000) } }, own, 4_096);
    expect(bytesOf(fitted)).toBeLessThanOrEqual(4_096);
    expect(fitted.headers).toMatchObject({ ...own, 'x-dlt-headers-dropped': 'true', 'x-dlt-original-key-sha256': sha256(key) });
    expect(fitted.headers.big).toBeUndefined();
  });
});
