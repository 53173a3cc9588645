import { certificateProblem } from './boot-failure';

describe('certificateProblem', () => {
  it('finds the verification failure in an error or its causes', () => {
    expect(certificateProblem(Object.assign(new Error('Connection error'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }))).toEqual({
      kind: 'untrusted',
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
    expect(certificateProblem(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }) }))).toEqual({
      kind: 'host_mismatch',
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
    expect(certificateProblem(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBeUndefined();
  });
});
