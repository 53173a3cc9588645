import { DynamicModule, Global, Module } from '@nestjs/common';
import { CommitFaultHook, NoCommitFault } from './common/commit-fault-hook';
import { NoPublishFault, OutboxFaultHook } from './outbox/outbox-fault.hook';

/** What an entry point may plug into the service; whatever it leaves out is the production no-op. */
export interface ExtensionPoints {
  commitFault?: CommitFaultHook;
  outboxFault?: OutboxFaultHook;
}

/** Binds the extension points once for the whole app, so an entry point can replace them without a testing module. */
@Global()
@Module({})
export class ExtensionPointsModule {
  static forRoot(extensions: ExtensionPoints = {}): DynamicModule {
    const providers = [
      { provide: CommitFaultHook, useValue: extensions.commitFault ?? new NoCommitFault() },
      { provide: OutboxFaultHook, useValue: extensions.outboxFault ?? new NoPublishFault() },
    ];
    return { module: ExtensionPointsModule, providers, exports: providers.map((p) => p.provide) };
  }
}
