import { Global, Module } from '@nestjs/common';
import { TestHooksConfig } from '../config/configuration';
import { Clock } from './clock';
import { CommitFaultHook, commitFaultHookFor } from './commit-fault-hook';

@Global()
@Module({
  providers: [Clock, { provide: CommitFaultHook, inject: [TestHooksConfig], useFactory: commitFaultHookFor }],
  exports: [Clock, CommitFaultHook],
})
export class CommonModule {}
