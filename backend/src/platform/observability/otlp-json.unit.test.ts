import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { recordEveryField, recordSpans } from '../../../test/spans';
import { packSpans, serializeSpans } from './otlp-json';
import { writeSpans } from './otlp-json-writer.mjs';

/** Spans with every kind of field OTLP has, from two tracers. */
function sampleSpans(): ReadableSpan[] {
  return recordSpans({ 'service.name': 'hanger-test', 'service.instance': 7 }, recordEveryField);
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
