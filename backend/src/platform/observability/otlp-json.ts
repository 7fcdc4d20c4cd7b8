import type { HrTime, Link, SpanKind } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';

/**
 * OTLP/HTTP JSON for a batch of spans, written straight into a string.
 *
 * The SDK's JsonTraceSerializer builds the whole OTLP request as objects (a BigInt per timestamp)
 * and then runs JSON.stringify over them, which looks up `toJSON` on every object: about 30k
 * instructions per exported span, half of what a sampled request cost on top of an unsampled one
 * (callgrind, docs/benchmarks.md). This writes the same text, byte for byte
 * (`otlp-json.unit.test.ts` compares the two on spans with every kind of field), and keeps the
 * resource and scope parts, the same for every batch, once.
 */
export function serializeSpans(spans: readonly ReadableSpan[]): string {
  // Grouped by resource (by identity) and then by scope, as the SDK does.
  const byResource = new Map<Resource, Map<string, ReadableSpan[]>>();
  for (const span of spans) {
    let byScope = byResource.get(span.resource);
    if (!byScope) byResource.set(span.resource, (byScope = new Map<string, ReadableSpan[]>()));
    const scope = span.instrumentationScope;
    const key = `${scope.name}@${scope.version ?? ''}:${scope.schemaUrl ?? ''}`;
    let group = byScope.get(key);
    if (!group) byScope.set(key, (group = []));
    group.push(span);
  }
  let out = '{"resourceSpans":[';
  let firstResource = true;
  for (const [resource, byScope] of byResource) {
    out += firstResource ? '{"resource":' : ',{"resource":';
    firstResource = false;
    out += resourceJson(resource);
    out += ',"scopeSpans":[';
    let firstScope = true;
    for (const group of byScope.values()) {
      const scope = group[0]!.instrumentationScope;
      out += firstScope ? '{"scope":' : ',{"scope":';
      firstScope = false;
      out += scopeJson(scope);
      out += `,"spans":${listJson(group, spanJson)}`;
      if (scope.schemaUrl !== undefined) out += `,"schemaUrl":${quote(scope.schemaUrl)}`;
      out += '}';
    }
    out += ']';
    if (resource.schemaUrl) out += `,"schemaUrl":${quote(resource.schemaUrl)}`;
    out += '}';
  }
  return out + ']}';
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

/** Span flags: W3C trace flags in the low byte, plus "has is-remote" and "is remote" (OTLP). */
const flags = (traceFlags: number, isRemote: boolean | undefined) =>
  (traceFlags & 0xff) | 0x100 | (isRemote ? 0x200 : 0);

function spanJson(span: ReadableSpan): string {
  const ctx = span.spanContext();
  const parent = span.parentSpanContext;
  // Ids are hex strings the SDK validated (or generated); they need no escaping.
  let json = `{"traceId":"${ctx.traceId}","spanId":"${ctx.spanId}"`;
  if (parent?.spanId) json += `,"parentSpanId":"${parent.spanId}"`;
  const traceState = ctx.traceState?.serialize();
  if (traceState !== undefined) json += `,"traceState":${quote(traceState)}`;
  // As the SDK: span kinds are offset by one (OTLP's 0 is "unspecified").
  const kind = (span.kind as SpanKind | undefined) ?? -1;
  json += `,"name":${quote(span.name)},"kind":${kind + 1}`;
  json += `,"startTimeUnixNano":"${nanos(span.startTime)}","endTimeUnixNano":"${nanos(span.endTime)}"`;
  json += `,"attributes":${attributesJson(span.attributes)}`;
  json += `,"droppedAttributesCount":${span.droppedAttributesCount}`;
  json += `,"events":${listJson(span.events, eventJson)}`;
  json += `,"droppedEventsCount":${span.droppedEventsCount}`;
  json += `,"status":{"code":${span.status.code}`;
  if (span.status.message !== undefined) json += `,"message":${quote(span.status.message)}`;
  json += `},"links":${listJson(span.links, linkJson)}`;
  json += `,"droppedLinksCount":${span.droppedLinksCount}`;
  return `${json},"flags":${flags(ctx.traceFlags, parent?.isRemote)}}`;
}

function eventJson(event: TimedEvent): string {
  const attributes = event.attributes ? attributesJson(event.attributes) : '[]';
  return (
    `{"attributes":${attributes},"name":${quote(event.name)}` +
    `,"timeUnixNano":"${nanos(event.time)}","droppedAttributesCount":${event.droppedAttributesCount || 0}}`
  );
}

function linkJson(link: Link): string {
  const attributes = link.attributes ? attributesJson(link.attributes) : '[]';
  const { spanId, traceId, traceState, traceFlags, isRemote } = link.context;
  let json = `{"attributes":${attributes},"spanId":"${spanId}","traceId":"${traceId}"`;
  const state = traceState?.serialize();
  if (state !== undefined) json += `,"traceState":${quote(state)}`;
  return `${json},"droppedAttributesCount":${link.droppedAttributesCount || 0},"flags":${flags(traceFlags, isRemote)}}`;
}

function listJson<T>(items: readonly T[], item: (value: T) => string): string {
  if (items.length === 0) return '[]';
  let json = '[';
  for (let i = 0; i < items.length; i++) json += (i > 0 ? ',' : '') + item(items[i]!);
  return json + ']';
}

function attributesJson(attributes: Readonly<Record<string, unknown>>): string {
  let json = '[';
  let first = true;
  for (const key of Object.keys(attributes)) {
    if (!first) json += ',';
    first = false;
    json += `${keyJson(key)}${anyValueJson(attributes[key])}}`;
  }
  return json + ']';
}

/**
 * What JSON.stringify escapes: quote, backslash, controls (\p{Cc} also takes DEL and C1, which it
 * leaves alone: those merely take the slow path) and lone surrogates (\p{Cs} in a u-mode pattern).
 */
const NEEDS_ESCAPE = /["\\\p{Cc}\p{Cs}]/u;

/**
 * JSON.stringify(s) for a string, without its fixed cost (a string builder and a replacer check,
 * about 800 instructions a call) when nothing needs escaping, as in nearly every name and value.
 */
function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** `{"key":"<key>","value":` by attribute key: the keys are few and come back on every span. */
const keyCache = new Map<string, string>();

function keyJson(key: string): string {
  let json = keyCache.get(key);
  if (json === undefined) {
    json = `{"key":${quote(key)},"value":`;
    if (keyCache.size < 1000) keyCache.set(key, json);
  }
  return json;
}

/** JSON.stringify(n) for a number: String(n), except that what is not finite is null. */
const numberJson = (n: number) => (Number.isFinite(n) ? String(n) : 'null');

function anyValueJson(value: unknown): string {
  if (typeof value === 'string') return `{"stringValue":${quote(value)}}`;
  if (typeof value === 'number') {
    return Number.isInteger(value)
      ? `{"intValue":${numberJson(value)}}`
      : `{"doubleValue":${numberJson(value)}}`;
  }
  if (typeof value === 'boolean') return `{"boolValue":${value}}`;
  if (value instanceof Uint8Array) {
    return `{"bytesValue":"${Buffer.from(value).toString('base64')}"}`;
  }
  if (Array.isArray(value)) {
    return `{"arrayValue":{"values":${listJson(value as unknown[], anyValueJson)}}}`;
  }
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const entries = Object.keys(record).map(
      (key) => `${keyJson(key)}${anyValueJson(record[key])}}`,
    );
    return `{"kvlistValue":{"values":[${entries.join(',')}]}}`;
  }
  return '{}';
}

/** [seconds, nanoseconds] as the decimal string of its nanoseconds, without a BigInt. */
function nanos([seconds, ns]: HrTime): string {
  const s = Math.trunc(seconds);
  const n = Math.trunc(ns);
  if (s > 0 && n >= 0 && n < 1e9) return `${s}${String(n).padStart(9, '0')}`;
  return (BigInt(s) * 1_000_000_000n + BigInt(n)).toString();
}
