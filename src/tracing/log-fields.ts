import { isSpanContextValid, trace } from '@opentelemetry/api';

/** trace_id and span_id of the active span, for every log line written inside it; nothing when tracing is off. */
export function activeTraceFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return isSpanContextValid(span.spanContext()) ? { trace_id: traceId, span_id: spanId } : {};
}
