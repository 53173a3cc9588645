import { TracingConfig } from '../config/configuration';

/** How long the last export of buffered spans may take at shutdown. */
const SHUTDOWN_EXPORT_BUDGET_MS = 2_000;

/** The started SDK: flushes and stops the exporter at shutdown. */
export interface TracingSdk {
  shutdown(): Promise<void>;
}

/** A batch span links each of its messages; the default limit (128) would drop most of a 2,000-event group. */
const MAX_LINKS_PER_SPAN = 2_000;
/** Probes and scrapes arrive every few seconds; a trace each would drown the ones that matter. */
const UNTRACED_PATHS = /^\/(health|metrics)(\/|\?|$)/;

/**
 * Starts the OpenTelemetry SDK, before anything loads pg or http, so the instrumentations can patch them.
 * With tracing off it loads nothing: every span of the API stays a no-op and no context manager runs.
 */
export async function startTracing(config: TracingConfig): Promise<TracingSdk | undefined> {
  if (!config.tracesUrl) return undefined;
  const [
    api,
    { AsyncLocalStorageContextManager },
    { W3CTraceContextPropagator },
    { resourceFromAttributes },
    sdk,
    { OTLPTraceExporter },
    { registerInstrumentations },
    { PgInstrumentation },
    { HttpInstrumentation },
  ] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/instrumentation'),
    import('@opentelemetry/instrumentation-pg'),
    import('@opentelemetry/instrumentation-http'),
  ]);
  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    spanLimits: { linkCountLimit: MAX_LINKS_PER_SPAN },
    spanProcessors: [new sdk.BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: config.tracesUrl }), scheduledDelayMillis: config.exportDelayMs })],
  });
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  api.trace.setGlobalTracerProvider(provider);
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      // Only statements inside a traced unit of work (a claim transaction): not the relay's polls or the lag monitor.
      // Parameter values (amounts among them) are never recorded: enhancedDatabaseReporting stays off.
      new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.test(req.url ?? ''), requireParentforOutgoingSpans: true }),
    ],
  });
  return {
    async shutdown() {
      unregister();
      // An unreachable collector must not hold the stop past the pod's grace period: unexported spans are dropped.
      const gaveUp = new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_EXPORT_BUDGET_MS).unref());
      await Promise.race([provider.shutdown(), gaveUp]);
    },
  };
}
