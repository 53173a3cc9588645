import { Injectable } from '@nestjs/common';
import {
  Attributes,
  context,
  Context,
  isSpanContextValid,
  Link,
  ROOT_CONTEXT,
  Span,
  SpanContext,
  SpanKind,
  SpanOptions,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { traceparentOf } from '../kafka/traceparent';
import { consumeAttributes, ConsumedMessage, messageAttributes, sendAttributes } from './messaging-attributes';

/** A span the caller ends itself, for work that is not one function call (one message of a batch send). */
export interface OpenSpan {
  /** The W3C traceparent naming this span, when it is recorded (tracing on); else undefined. */
  readonly traceparent: string | undefined;
  end(error?: unknown): void;
}

/**
 * The service's one door to OpenTelemetry. Transports and adapters open spans through it; the business code
 * makes no tracing calls. It uses only the API: with no SDK started (tracing off) every span is a no-op.
 */
@Injectable()
export class Tracing {
  private readonly tracer = trace.getTracer('billing-service');

  /** One CONSUMER span per message: the producer's traceparent is continued as its parent, and linked. */
  consumeMessage<T>(message: ConsumedMessage, groupId: string, work: () => Promise<T>): Promise<T> {
    const producer = producerContextOf(message);
    const parent = producer ? trace.setSpanContext(ROOT_CONTEXT, producer) : ROOT_CONTEXT;
    const options: SpanOptions = {
      kind: SpanKind.CONSUMER,
      attributes: { ...consumeAttributes(message.topic, groupId, 1), ...messageAttributes(message) },
      links: producer ? [{ context: producer }] : [],
    };
    return this.run(`process ${message.topic}`, options, parent, work);
  }

  /** One CONSUMER span per group of messages (a new trace), linked to each message's producer context. */
  consumeBatch<T>(messages: readonly ConsumedMessage[], groupId: string, work: () => Promise<T>): Promise<T> {
    const links = messages.flatMap((m): Link[] => {
      const producer = producerContextOf(m);
      return producer ? [{ context: producer, attributes: messageAttributes(m) }] : [];
    });
    const topics = [...new Set(messages.map((m) => m.topic))].join(',');
    const options: SpanOptions = { kind: SpanKind.CONSUMER, attributes: consumeAttributes(topics, groupId, messages.length), links };
    return this.run(`process ${topics}`, options, ROOT_CONTEXT, work);
  }

  /** An INTERNAL span under the active one (the claim transaction: the pg spans nest under it). */
  inSpan<T>(name: string, attributes: Attributes, work: () => Promise<T>): Promise<T> {
    return this.run(name, { kind: SpanKind.INTERNAL, attributes }, context.active(), work);
  }

  /** A PRODUCER span under the active one; work gets the traceparent that names it (undefined when off). */
  send<T>(topic: string, work: (traceparent: string | undefined) => Promise<T>): Promise<T> {
    const span = this.tracer.startSpan(`send ${topic}`, { kind: SpanKind.PRODUCER, attributes: sendAttributes(topic, 1) });
    return this.finish(
      span,
      context.with(trace.setSpan(context.active(), span), () => work(traceparentOfSpan(span))),
    );
  }

  /** A PRODUCER span for one message of a batch send, continuing the trace named by `parent` (a stored traceparent). */
  startSend(topic: string, parent: string | null, attributes: Attributes = {}): OpenSpan {
    const producer = parent === null ? undefined : producerContextOf({ headers: { traceparent: parent } });
    const parentContext = producer ? trace.setSpanContext(ROOT_CONTEXT, producer) : ROOT_CONTEXT;
    const span = this.tracer.startSpan(`send ${topic}`, { kind: SpanKind.PRODUCER, attributes: { ...sendAttributes(topic, 1), ...attributes } }, parentContext);
    return { traceparent: traceparentOfSpan(span), end: (error?: unknown) => endSpan(span, error) };
  }

  /** Adds to the active span what is known only after parsing (the event id); nothing when none is active. */
  annotate(attributes: Attributes): void {
    trace.getActiveSpan()?.setAttributes(attributes);
  }

  private run<T>(name: string, options: SpanOptions, parent: Context, work: () => Promise<T>): Promise<T> {
    const span = this.tracer.startSpan(name, options, parent);
    return this.finish(span, context.with(trace.setSpan(parent, span), work));
  }

  private async finish<T>(span: Span, result: Promise<T>): Promise<T> {
    try {
      const value = await result;
      endSpan(span);
      return value;
    } catch (error) {
      endSpan(span, error);
      throw error;
    }
  }
}

function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined) {
    // The type only: a message may quote the refused data (an amount, a value PostgreSQL rejected).
    const type = errorType(error);
    span.setAttribute('error.type', type);
    span.setStatus({ code: SpanStatusCode.ERROR, message: type });
  }
  span.end();
}

function errorType(error: unknown): string {
  const { code, name } = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; name?: unknown };
  if (typeof code === 'string' && code !== '') return code;
  return typeof name === 'string' && name !== '' ? name : typeof error;
}

/** The producer's span context from a well-formed W3C traceparent header; anything else starts a new trace. */
function producerContextOf(message: Pick<ConsumedMessage, 'headers'>): SpanContext | undefined {
  const traceparent = traceparentOf(message.headers);
  if (!traceparent) return undefined;
  const [, traceId, spanId, flags] = traceparent.split('-');
  return { traceId, spanId, traceFlags: parseInt(flags, 16) & 1, isRemote: true };
}

function traceparentOfSpan(span: Span): string | undefined {
  const { traceId, spanId, traceFlags } = span.spanContext();
  if (!span.isRecording() || !isSpanContextValid(span.spanContext())) return undefined;
  return `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, '0')}`;
}
