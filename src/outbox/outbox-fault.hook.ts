/**
 * Called after the broker acknowledged an outbox batch and before it is marked published: the window where a crash
 * must only repeat announcements. An extension point: production binds the no-op (ExtensionPointsModule); the test
 * entry point test/support/standalone/faulty-service.ts binds one that crashes there, and tests one that fails there.
 */
export abstract class OutboxFaultHook {
  abstract afterPublish(): Promise<void>;
}

export class NoPublishFault extends OutboxFaultHook {
  afterPublish(): Promise<void> {
    return Promise.resolve();
  }
}
