import type { SpanKind } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  attributesJson,
  flags,
  quote,
  writeSpans,
  type PackedBatch,
  type PackedLink,
  type PackedScope,
} from './otlp-json-writer.mjs';

export type { PackedBatch } from './otlp-json-writer.mjs';

/**
 * OTLP/HTTP JSON for a batch of spans: `writeSpans(packSpans(spans))`, the same text, byte for
 * byte, as the SDK's JsonTraceSerializer (`otlp-json.unit.test.ts` compares them on spans with
 * every kind of field). The exporter runs the two halves on two threads.
 */
export function serializeSpans(spans: readonly ReadableSpan[]): string {
  return writeSpans(packSpans(spans));
}

/**
 * A batch of spans as plain arrays and strings, grouped by resource and scope as the SDK groups
 * them, for `writeSpans` (otlp-json-writer.mjs) to write as OTLP JSON on the export worker.
 *
 * Why two halves: writing the JSON on the server's thread cost ~20k instructions per span, most of
 * it building and then flattening a string of some sixty pieces; packing the same fields and
 * posting them (a structured clone) costs that thread well under half of it. The work moves, it
 * does not shrink: the worker then spends ~25k per span (the writing, and ~4.5k to deserialize),
 * so this shortens the request thread, not the process's CPU (callgrind, docs/benchmarks.md,
 * session 7; ADR 0008). The SDK's own serializer cost ~30k (session 5).
 *
 * The resource and scope parts are written here, once each, and cached: they are the same for
 * every batch.
 */
export function packSpans(spans: readonly ReadableSpan[]): PackedBatch {
  const byResource = new Map<Resource, Map<string, PackedScope>>();
  for (const span of spans) {
    let byScope = byResource.get(span.resource);
    if (!byScope) byResource.set(span.resource, (byScope = new Map<string, PackedScope>()));
    const scope = span.instrumentationScope;
    const key = scopeKey(scope);
    let group = byScope.get(key);
    if (!group) {
      group = { json: scopeJson(scope), schemaUrl: scope.schemaUrl, spans: [] };
      byScope.set(key, group);
    }
    packSpan(group.spans, span);
  }
  const batch: PackedBatch = { resources: [] };
  for (const [resource, byScope] of byResource) {
    batch.resources.push({
      json: resourceJson(resource),
      schemaUrl: resource.schemaUrl,
      scopes: [...byScope.values()],
    });
  }
  return batch;
}

/** A span's fields, in `SLOT` order, then its attributes as key, value pairs. */
function packSpan(out: unknown[], span: ReadableSpan): void {
  const ctx = span.spanContext();
  const parent = span.parentSpanContext;
  const attributes = span.attributes;
  const keys = Object.keys(attributes);
  // As the SDK's serializer, which offsets it by one: absent (a foreign span) is written as 0.
  const kind = (span.kind as SpanKind | undefined) ?? -1;
  out.push(
    ctx.traceId,
    ctx.spanId,
    parent?.spanId,
    ctx.traceState?.serialize(),
    span.name,
    kind,
    span.startTime[0],
    span.startTime[1],
    span.endTime[0],
    span.endTime[1],
    span.droppedAttributesCount,
    span.events.length > 0 ? span.events : undefined,
    span.droppedEventsCount,
    span.status.code,
    span.status.message,
    span.links.length > 0 ? span.links.map(packLink) : undefined,
    span.droppedLinksCount,
    flags(ctx.traceFlags, parent?.isRemote),
    keys.length,
  );
  for (const key of keys) out.push(key, attributes[key]);
}

function packLink(link: ReadableSpan['links'][number]): PackedLink {
  const { spanId, traceId, traceState, traceFlags, isRemote } = link.context;
  return {
    traceId,
    spanId,
    traceState: traceState?.serialize(),
    flags: flags(traceFlags, isRemote),
    attributes: link.attributes,
    droppedAttributesCount: link.droppedAttributesCount ?? 0,
  };
}

/**
 * The SDK groups a resource's spans by `name@version:schemaUrl`; the key is kept per scope object
 * (one per tracer), so that grouping looks up the same string each time, its hash computed once.
 */
const scopeKeys = new WeakMap<InstrumentationScope, string>();

function scopeKey(scope: InstrumentationScope): string {
  let key = scopeKeys.get(scope);
  if (key === undefined) {
    key = `${scope.name}@${scope.version ?? ''}:${scope.schemaUrl ?? ''}`;
    scopeKeys.set(scope, key);
  }
  return key;
}

const resourceCache = new WeakMap<Resource, string>();

function resourceJson(resource: Resource): string {
  let json = resourceCache.get(resource);
  if (json === undefined) {
    json = `{"attributes":${attributesJson(resource.attributes)},"droppedAttributesCount":0`;
    if (resource.schemaUrl) json += `,"schemaUrl":${quote(resource.schemaUrl)}`;
    json += '}';
    // A resource whose attributes are still being detected asynchronously is not cached.
    if (!resource.asyncAttributesPending) resourceCache.set(resource, json);
  }
  return json;
}

const scopeCache = new WeakMap<InstrumentationScope, string>();

function scopeJson(scope: InstrumentationScope): string {
  let json = scopeCache.get(scope);
  if (json === undefined) {
    json = `{"name":${quote(scope.name)}`;
    if (scope.version !== undefined) json += `,"version":${quote(scope.version)}`;
    const withAttributes = scope as InstrumentationScope & {
      attributes?: Record<string, unknown>;
      droppedAttributesCount?: number;
    };
    if (withAttributes.attributes && Object.keys(withAttributes.attributes).length > 0) {
      json += `,"attributes":${attributesJson(withAttributes.attributes)}`;
      json += `,"droppedAttributesCount":${withAttributes.droppedAttributesCount ?? 0}`;
    }
    json += '}';
    scopeCache.set(scope, json);
  }
  return json;
}
