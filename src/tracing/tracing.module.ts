import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown, Optional } from '@nestjs/common';
import { Tracing } from './tracing';
import { TracingSdk } from './tracing-sdk';

const TRACING_SDK = Symbol('TRACING_SDK');

/** Exports the spans still buffered once the consumer and the producers have closed. */
@Injectable()
class TracingShutdown implements OnApplicationShutdown {
  constructor(@Optional() @Inject(TRACING_SDK) private readonly sdk?: TracingSdk) {}

  async onApplicationShutdown(): Promise<void> {
    await this.sdk?.shutdown();
  }
}

@Global()
@Module({})
export class TracingModule {
  /** sdk: what main.ts started before Nest booted; none when tracing is off (and in the in-process tests). */
  static forRoot(sdk?: TracingSdk): DynamicModule {
    return {
      module: TracingModule,
      providers: [Tracing, TracingShutdown, ...(sdk ? [{ provide: TRACING_SDK, useValue: sdk }] : [])],
      exports: [Tracing],
    };
  }
}
