import { uuidV5 } from './uuid-v5';

describe('uuidV5', () => {
  it('matches the RFC 9562 example (DNS namespace, www.example.com)', () => {
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('differs by namespace and by name', () => {
    const ns = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
    expect(uuidV5(ns, 'a')).not.toBe(uuidV5(ns, 'b'));
    expect(uuidV5(ns, 'a')).not.toBe(uuidV5('6ba7b811-9dad-11d1-80b4-00c04fd430c8', 'a'));
  });

  it('hashes names of any length and script, as SHA-1 over the namespace and the UTF-8 name does (a name longer than the namespace, non-ASCII)', () => {
    const ns = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';
    expect(uuidV5(ns, 'http://www.example.com/a/long/path/that/is/longer/than/sixteen/bytes')).toBe('ff3cf5d8-8d47-53ac-96c3-598ef6ddc5ed');
    expect(uuidV5(ns, 'müller')).toBe('1cb71e0e-bcae-5986-a639-14b0ab052db9');
  });
});
