import { EntityManager } from 'typeorm';
import { inlineDatabase, mockOf, spiedLogger } from '../../test/support/builders';
import { BillingMetrics } from '../observability/billing-metrics';
import { AuditRequest } from './audit-request';
import { AuditTrail } from './audit-trail';

const request: AuditRequest = {
  action: 'retention.cleanup',
  principal: { tenantId: 't-1', roles: ['admin'], admin: true, subject: 'ops', issuer: 'idp' },
  parameters: {},
  requestId: 'req-1',
};

/** A trail whose audit INSERTs fail while `failInserts` is true; records the outcomes it tried to write. */
function trailWith(failInserts: { on: boolean }) {
  const written: unknown[] = [];
  const manager = mockOf(EntityManager);
  const query = manager.query.mockImplementation((_sql, values) => {
    if (failInserts.on) return Promise.reject(new Error('Connection terminated unexpectedly'));
    written.push((values as unknown[])[1]);
    return Promise.resolve();
  });
  const metrics = new BillingMetrics();
  const counted: unknown[] = [];
  jest.spyOn(metrics.adminActions, 'inc').mockImplementation((labels) => void counted.push(labels));
  const { root, lines } = spiedLogger();
  return { trail: new AuditTrail(inlineDatabase(manager, manager).transactions, metrics, root), written, counted, lines, query };
}

describe('AuditTrail.record', () => {
  it('returns the result of an action that committed on its own when its audit row cannot be written, and logs an error', async () => {
    const failInserts = { on: true };
    const { trail, lines, counted, query } = trailWith(failInserts);
    const purge = jest.fn(() => Promise.resolve({ purged: 3 }));

    await expect(trail.record(request, false, purge)).resolves.toEqual({ purged: 3 });

    expect(purge).toHaveBeenCalledTimes(1);
    expect(query).toHaveBeenCalledTimes(1); // no second INSERT with outcome 'failed'
    expect(lines.error).toHaveBeenCalledWith(expect.objectContaining({ action: 'retention.cleanup' }), 'audit row could not be written');
    expect(counted).toEqual([{ action: 'retention.cleanup', outcome: 'succeeded' }]);
    expect(lines.info).toHaveBeenCalledWith(expect.objectContaining({ outcome: 'succeeded' }), 'admin action');
  });

  it('records failed when an action that commits on its own fails', async () => {
    const { trail, written } = trailWith({ on: false });
    await expect(trail.record(request, false, () => Promise.reject(new Error('purge failed')))).rejects.toThrow('purge failed');
    expect(written).toEqual(['failed']);
  });

  it('records failed when the row of an action that shares its transaction cannot be written (both roll back)', async () => {
    const failInserts = { on: true };
    const { trail, lines, counted } = trailWith(failInserts);
    await expect(trail.record(request, true, () => Promise.resolve('done'))).rejects.toThrow('Connection terminated');
    expect(lines.error).toHaveBeenCalledWith(expect.anything(), 'audit row could not be written');
    expect(counted).toEqual([{ action: 'retention.cleanup', outcome: 'failed' }]);
  });

  it('writes one succeeded row for an action that succeeded', async () => {
    const { trail, written } = trailWith({ on: false });
    await expect(trail.record(request, false, () => Promise.resolve('done'))).resolves.toBe('done');
    expect(written).toEqual(['succeeded']);
  });
});
