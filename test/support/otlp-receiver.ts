import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';

/** One exported span, flattened from OTLP/HTTP JSON (ids are hex strings there). */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  /** Nanoseconds since the epoch, as a decimal string. */
  startTimeUnixNano: string;
  attributes: Record<string, unknown>;
  links: { traceId: string; spanId: string; attributes: Record<string, unknown> }[];
}

export const SPAN_KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;

interface OtlpAttribute {
  key: string;
  value: Record<string, unknown>;
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string | number;
  attributes?: OtlpAttribute[];
  links?: { traceId: string; spanId: string; attributes?: OtlpAttribute[] }[];
}

interface ExportTraceServiceRequest {
  resourceSpans?: { resource?: { attributes?: OtlpAttribute[] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[];
}

/** An OTLP/HTTP trace receiver on a free local port, keeping every span the service exports (JSON encoding). */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];

  private constructor(private readonly server: Server) {}

  static async start(): Promise<OtlpReceiver> {
    const server = createServer();
    const receiver = new OtlpReceiver(server);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (req.url === '/v1/traces' && String(req.headers['content-type']).startsWith('application/json')) {
          receiver.accept(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ExportTraceServiceRequest);
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        } else {
          res.writeHead(415).end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  /** What OTEL_EXPORTER_OTLP_ENDPOINT points at. */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  inTrace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((s) => s.traceId === traceId);
  }

  /** In the order they started. */
  childrenOf(span: Pick<ReceivedSpan, 'traceId' | 'spanId'>): ReceivedSpan[] {
    const children = this.spans.filter((s) => s.traceId === span.traceId && s.parentSpanId === span.spanId);
    return children.sort((a, b) => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(request: ExportTraceServiceRequest): void {
    for (const { resource, scopeSpans } of request.resourceSpans ?? []) {
      const service = String(attributesOf(resource?.attributes)['service.name']);
      for (const span of (scopeSpans ?? []).flatMap((s) => s.spans ?? [])) {
        this.spans.push({
          service,
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId ?? '',
          name: span.name,
          kind: span.kind,
          startTimeUnixNano: String(span.startTimeUnixNano),
          attributes: attributesOf(span.attributes),
          links: (span.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId, attributes: attributesOf(l.attributes) })),
        });
      }
    }
  }
}

function attributesOf(list: OtlpAttribute[] = []): Record<string, unknown> {
  return Object.fromEntries(list.map(({ key, value }) => [key, Object.values(value)[0]]));
}

/** The spans under a parent (e.g. a producer's, not exported here) as an indented tree: name, kind, key attributes. */
export function spanTree(receiver: OtlpReceiver, parent: Pick<ReceivedSpan, 'traceId' | 'spanId'>, shown: readonly string[], depth = 0): string[] {
  return receiver.childrenOf(parent).flatMap((span) => {
    const kind = Object.entries(SPAN_KIND).find(([, k]) => k === span.kind)?.[0] ?? String(span.kind);
    const attributes = shown.filter((key) => span.attributes[key] !== undefined).map((key) => `${key}=${firstLine(span.attributes[key])}`);
    return [`${'   '.repeat(depth)}└─ ${span.name} [${kind}] ${attributes.join(' ')}`.trimEnd(), ...spanTree(receiver, span, shown, depth + 1)];
  });
}

function firstLine(value: unknown): string {
  const line = String(value).split('\n')[0];
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}
