import { Test } from '@nestjs/testing';
import { CommitFaultHook, NoCommitFault } from './common/commit-fault-hook';
import { ExtensionPointsModule } from './extension-points.module';
import { NoPublishFault, OutboxFaultHook } from './outbox/outbox-fault.hook';

describe('ExtensionPointsModule', () => {
  it('binds the no-op hooks unless an entry point plugs in its own', async () => {
    const production = await Test.createTestingModule({ imports: [ExtensionPointsModule.forRoot()] }).compile();
    expect(production.get(CommitFaultHook)).toBeInstanceOf(NoCommitFault);
    expect(production.get(OutboxFaultHook)).toBeInstanceOf(NoPublishFault);

    const commitFault = { afterCommit: jest.fn() };
    const plugged = await Test.createTestingModule({ imports: [ExtensionPointsModule.forRoot({ commitFault })] }).compile();
    expect(plugged.get(CommitFaultHook)).toBe(commitFault);
    expect(plugged.get(OutboxFaultHook)).toBeInstanceOf(NoPublishFault);
  });
});
