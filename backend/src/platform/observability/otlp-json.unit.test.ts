import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { BasicTracerProvider, ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { recordSpans } from '../../../test/spans';
import { packSpans, serializeSpans } from './otlp-json';
import { writeSpans } from './otlp-json-writer.mjs';

/** Spans with every kind of field the OTLP JSON mapping has, from two tracers. */
function sampleSpans(): ReadableSpan[] {
  return recordSpans({ 'service.name': 'hanger-test', 'service.instance': 7 }, recordAll);
}

function recordAll(provider: BasicTracerProvider): void {
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

describe('serializeSpans', () => {
  it('writes the same OTLP JSON as the SDK serializer, byte for byte', () => {
    const spans = sampleSpans();
    expect(spans).toHaveLength(4);
    const ours = serializeSpans(spans);
    const sdk = new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans));
    expect(ours).toBe(sdk);
    // And it is what it claims: two scopes under one resource, the remote parent kept.
    const parsed = JSON.parse(ours) as {
      resourceSpans: {
        scopeSpans: { scope: { name: string }; spans: { name: string; parentSpanId?: string }[] }[];
      }[];
    };
    expect(parsed.resourceSpans).toHaveLength(1);
    const scopes = parsed.resourceSpans[0]!.scopeSpans;
    expect(scopes.map((s) => s.scope.name)).toEqual(['hanger', 'other']);
    const server = scopes[0]!.spans.find((s) => s.name === 'GET /api/v1/items/:id');
    expect(server?.parentSpanId).toBe('00f067aa0ba902b7');
  });

  it('writes the same bytes from a packed batch that crossed to another thread', () => {
    const spans = sampleSpans();
    const sdk = new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans));
    // The exporter posts the packed batch to its worker: a structured clone, as postMessage makes.
    const packed = structuredClone(packSpans(spans));
    expect(writeSpans(packed)).toBe(sdk);
  });

  it('writes an empty batch as the SDK does, and reuses the cached resource part', () => {
    expect(serializeSpans([])).toBe(
      new TextDecoder().decode(JsonTraceSerializer.serializeRequest([])),
    );
    const spans = sampleSpans();
    const first = serializeSpans(spans);
    expect(serializeSpans(spans)).toBe(first);
  });
});
