import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
  type Attributes,
} from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

/**
 * The spans `record` ends, made by a real provider whose resource has these attributes (tests of
 * span serializers and exporters).
 */
export function recordSpans(
  resource: Attributes,
  record: (provider: BasicTracerProvider) => void,
): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(resource),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  record(provider);
  return memory.getFinishedSpans();
}

/**
 * Records spans with every kind of field OTLP has, from two tracers: a remote parent with a trace
 * state, attributes of every type (strings JSON escapes and strings it leaves alone, lone
 * surrogates, integers beyond 2^53, NaN, infinities, arrays), links with and without attributes,
 * events with and without attributes, statuses, kinds and a child ended at a given time
 * (span serializer tests).
 */
export function recordEveryField(provider: BasicTracerProvider): void {
  const a = provider.getTracer('hanger');
  const b = provider.getTracer('other', '1.2.3', {
    schemaUrl: 'https://opentelemetry.io/schemas/1.0',
  });

  const remoteParent = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: new TraceState('vendor=a,other=b'),
  });
  const server = a.startSpan(
    'GET /api/v1/items/:id',
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.route': '/api/v1/items/:id',
        'url.path': '/api/v1/items/"quoted"\n\u2028',
        'http.response.status_code': 200,
        ratio: 0.25,
        big: 2 ** 60,
        'not.a.number': Number.NaN,
        ok: true,
        tags: ['a', 'b'],
        codes: [1, 2.5],
        flags: [true, false],
        // Everything JSON.stringify escapes, and what it leaves alone (DEL, emoji, non-ASCII).
        'key "quoted" \\ back': 'tab\t nul\u0000 del\u007f 😀 lone\ud800 low\udc00 \\ "q"',
        'lone.surrogate': 'x\ud800y',
        'no.escape': 'ok 😀 é \u007f',
        infinite: Number.POSITIVE_INFINITY,
        'negative.zero': -0,
        negative: -42,
        tiny: 1e-7,
      },
      links: [
        { context: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 0 } },
        {
          context: {
            traceId: 'c'.repeat(32),
            spanId: 'd'.repeat(16),
            traceFlags: 1,
            isRemote: true,
            traceState: new TraceState('k=v'),
          },
          attributes: { reason: 'retry' },
        },
      ],
    },
    remoteParent,
  );
  server.addEvent('no attributes');
  server.addEvent('with attributes', { attempt: 2, note: 'ünïcødé' }, [1_700_000_000, 5]);
  server.addEvent('escaped "event"\n');
  server.setStatus({ code: SpanStatusCode.ERROR, message: 'boom "quoted"\\' });
  const child = a.startSpan(
    'pg.query',
    { kind: SpanKind.CLIENT },
    trace.setSpan(ROOT_CONTEXT, server),
  );
  child.end([1_700_000_001, 999_999_999]);
  server.end();
  const other = b.startSpan('job listing.index', { kind: SpanKind.CONSUMER });
  other.setStatus({ code: SpanStatusCode.OK });
  other.end();
  a.startSpan('root internal').end();
}

/**
 * A copy of `span` whose attributes throw 'unreadable attributes' when listed: a span no
 * serializer can write (tests of what a batch does with one).
 */
export function unreadableSpan(span: ReadableSpan): ReadableSpan {
  return Object.assign(Object.create(span) as ReadableSpan, {
    attributes: new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('unreadable attributes');
        },
      },
    ),
  });
}
