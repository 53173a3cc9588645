import { completeIdentity, identityFromPayload } from './event-identity';

describe('identityFromPayload', () => {
  it('reads the identifying strings of a JSON payload, bytes or text', () => {
    const payload = { event_id: 'e-1', order_id: 'o-1', tenant_id: 'acme', total: '-1' };
    expect(identityFromPayload(Buffer.from(JSON.stringify(payload)))).toEqual({ eventId: 'e-1', orderId: 'o-1', tenantId: 'acme' });
    expect(identityFromPayload(JSON.stringify(payload))).toEqual({ eventId: 'e-1', orderId: 'o-1', tenantId: 'acme' });
  });

  it('gives nothing for bytes that are not a JSON object, and ignores fields that are not strings', () => {
    expect(identityFromPayload(Buffer.from('{"event_id": '))).toEqual({});
    expect(identityFromPayload(null)).toEqual({});
    expect(identityFromPayload('[1]')).toEqual({ eventId: undefined, orderId: undefined, tenantId: undefined });
    expect(identityFromPayload('{"order_id": 42}')).toEqual({ eventId: undefined, orderId: undefined, tenantId: undefined });
  });

  it('keeps what the error knew and fills the rest from the payload', () => {
    const payload = Buffer.from(JSON.stringify({ event_id: 'raw', order_id: 'o-1', tenant_id: 'acme' }));
    expect(completeIdentity({ eventId: 'e-1' }, payload)).toEqual({ eventId: 'e-1', orderId: 'o-1', tenantId: 'acme' });
    expect(completeIdentity(undefined, payload)).toEqual({ eventId: 'raw', orderId: 'o-1', tenantId: 'acme' });
  });
});
