import { traceparentOf } from './traceparent';

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('traceparentOf', () => {
  it('passes a well-formed traceparent on, from a string or a Buffer, lower-cased', () => {
    expect(traceparentOf({ traceparent: VALID })).toBe(VALID);
    expect(traceparentOf({ traceparent: Buffer.from(VALID.toUpperCase()) })).toBe(VALID);
  });

  it('drops a missing or malformed one', () => {
    const bad = [
      '',
      'garbage',
      `ff${VALID.slice(2)}`,
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      `${VALID}-extra`,
    ];
    expect(bad.map((traceparent) => traceparentOf({ traceparent }))).toEqual(bad.map(() => undefined));
    expect(traceparentOf({})).toBeUndefined();
    expect(traceparentOf(undefined)).toBeUndefined();
  });
});
