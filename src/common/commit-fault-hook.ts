/**
 * Called after a transaction that did work commits, before anything is acknowledged: the window where a crash
 * must not bill twice. An extension point: production binds the no-op (ExtensionPointsModule); the test entry point
 * test/support/standalone/faulty-service.ts binds one that crashes there.
 */
export abstract class CommitFaultHook {
  abstract afterCommit(): void;
}

export class NoCommitFault extends CommitFaultHook {
  afterCommit(): void {}
}
