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
});
