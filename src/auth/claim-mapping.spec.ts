import { ClaimMapping } from '../config/configuration';
import { InvalidTokenError } from './auth.errors';
import { claimAt, principalFromClaims } from './claim-mapping';

describe('claimAt', () => {
  const claims = {
    tenant_id: 'acme',
    'https://billing.example.com/tenant_id': 'namespaced',
    realm_access: { roles: ['admin'] },
    list: [{ a: 1 }],
  };

  it('takes a claim named with dots as it is, before reading the name as a path', () => {
    expect(claimAt(claims, 'https://billing.example.com/tenant_id')).toBe('namespaced');
    expect(claimAt(claims, 'realm_access.roles')).toEqual(['admin']);
    expect(claimAt(claims, 'tenant_id')).toBe('acme');
  });

  it('finds nothing through arrays, missing steps or inherited properties', () => {
    expect(claimAt(claims, 'list.0.a')).toBeUndefined();
    expect(claimAt(claims, 'realm_access.missing.roles')).toBeUndefined();
    expect(claimAt(claims, 'tenant_id.length')).toBeUndefined();
    expect(claimAt(claims, 'realm_access.constructor')).toBeUndefined();
    expect(claimAt(claims, '__proto__')).toBeUndefined();
  });
});

describe('principalFromClaims', () => {
  const defaults = new ClaimMapping({ tenantClaim: 'tenant_id', rolesClaim: 'roles', adminRole: 'admin' });

  it('maps the default claims, sub and iss', () => {
    expect(principalFromClaims({ tenant_id: 'acme', roles: ['admin', 'x'], sub: 'u1', iss: 'https://idp' }, defaults)).toEqual({
      tenantId: 'acme',
      roles: ['admin', 'x'],
      admin: true,
      subject: 'u1',
      issuer: 'https://idp',
    });
    expect(principalFromClaims({ tenant_id: 'acme', roles: [] }, defaults)).toMatchObject({ admin: false, subject: null, issuer: null });
  });

  it('reads scope (and scp) as space-separated roles, any other roles claim only as an array', () => {
    const scope = new ClaimMapping({ tenantClaim: 'org', rolesClaim: 'scope', adminRole: 'billing:admin' });
    expect(principalFromClaims({ org: 'acme', scope: ' openid  billing:admin ' }, scope)).toMatchObject({ roles: ['openid', 'billing:admin'], admin: true });
    expect(
      principalFromClaims({ org: 'acme', scp: 'billing:admin' }, new ClaimMapping({ tenantClaim: 'org', rolesClaim: 'scp', adminRole: 'billing:admin' })).admin,
    ).toBe(true);
    expect(() => principalFromClaims({ tenant_id: 'acme', roles: 'admin' }, defaults)).toThrow(InvalidTokenError);
    expect(() => principalFromClaims({ tenant_id: 'acme', roles: ['admin', 7] }, defaults)).toThrow('token claim roles must be an array of strings');
    expect(() => principalFromClaims({ org: 'acme', scope: 42 }, scope)).toThrow('token claim scope must be a space-separated string or an array of strings');
  });

  it('grants no role when the roles claim is absent, and needs the admin role exactly', () => {
    expect(principalFromClaims({ tenant_id: 'acme' }, defaults)).toMatchObject({ roles: [], admin: false });
    expect(principalFromClaims({ tenant_id: 'acme', roles: ['Admin', 'admins'] }, defaults).admin).toBe(false);
  });

  it.each([undefined, '', 'a'.repeat(65), 'acme corp', "o'neil", 42, ['acme']])('refuses the tenant %p', (tenant) => {
    expect(() => principalFromClaims({ tenant_id: tenant, roles: [] }, defaults)).toThrow('token claim tenant_id must be 1-64 characters of [A-Za-z0-9._-]');
  });
});
