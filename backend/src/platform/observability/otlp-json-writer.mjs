// OTLP/HTTP JSON text for a batch of spans packed by `packSpans` (otlp-json.ts): written on the
// export worker thread (otlp-export-worker.mjs), so that the server's thread only packs the fields.
// The same bytes as the SDK's JsonTraceSerializer (otlp-json.unit.test.ts compares them).
//
// Plain JavaScript: a worker does not inherit the main thread's TypeScript loader on Node 20.
// Types: otlp-json-writer.d.mts.

/** Where a packed span's fields are (`packSpans` writes them in this order). */
const SLOT = Object.freeze({
  traceId: 0,
  spanId: 1,
  parentSpanId: 2,
  traceState: 3,
  name: 4,
  kind: 5,
  startSeconds: 6,
  startNanos: 7,
  endSeconds: 8,
  endNanos: 9,
  droppedAttributesCount: 10,
  events: 11,
  droppedEventsCount: 12,
  statusCode: 13,
  statusMessage: 14,
  links: 15,
  droppedLinksCount: 16,
  flags: 17,
  attributeCount: 18,
});
/** Slots before a span's attributes, which follow as key, value pairs. */
const FIXED_SLOTS = 19;

/** The batch as OTLP/HTTP JSON: resources, their scopes and their spans, in the packed order. */
export function writeSpans(batch) {
  let out = '{"resourceSpans":[';
  for (let r = 0; r < batch.resources.length; r++) {
    const resource = batch.resources[r];
    out += r === 0 ? '{"resource":' : ',{"resource":';
    out += resource.json;
    out += ',"scopeSpans":[';
    for (let s = 0; s < resource.scopes.length; s++) {
      const scope = resource.scopes[s];
      out += s === 0 ? '{"scope":' : ',{"scope":';
      out += scope.json;
      out += `,"spans":${spansJson(scope.spans)}`;
      if (scope.schemaUrl !== undefined) out += `,"schemaUrl":${quote(scope.schemaUrl)}`;
      out += '}';
    }
    out += ']';
    if (resource.schemaUrl) out += `,"schemaUrl":${quote(resource.schemaUrl)}`;
    out += '}';
  }
  return out + ']}';
}

function spansJson(packed) {
  let json = '[';
  for (let at = 0; at < packed.length;) {
    if (at > 0) json += ',';
    json += spanJson(packed, at);
    at += FIXED_SLOTS + 2 * packed[at + SLOT.attributeCount];
  }
  return json + ']';
}

function spanJson(p, at) {
  // Ids are hex strings the SDK validated (or generated); they need no escaping.
  let json = `{"traceId":"${p[at + SLOT.traceId]}","spanId":"${p[at + SLOT.spanId]}"`;
  const parentSpanId = p[at + SLOT.parentSpanId];
  if (parentSpanId) json += `,"parentSpanId":"${parentSpanId}"`;
  const traceState = p[at + SLOT.traceState];
  if (traceState !== undefined) json += `,"traceState":${quote(traceState)}`;
  // As the SDK: span kinds are offset by one (OTLP's 0 is "unspecified"; packed -1 when absent).
  json += `,"name":${quote(p[at + SLOT.name])},"kind":${p[at + SLOT.kind] + 1}`;
  json += `,"startTimeUnixNano":"${nanos(p[at + SLOT.startSeconds], p[at + SLOT.startNanos])}"`;
  json += `,"endTimeUnixNano":"${nanos(p[at + SLOT.endSeconds], p[at + SLOT.endNanos])}"`;
  json += ',"attributes":[';
  const count = p[at + SLOT.attributeCount];
  for (let i = 0; i < count; i++) {
    const key = p[at + FIXED_SLOTS + 2 * i];
    json += `${i > 0 ? ',' : ''}${keyJson(key)}${anyValueJson(p[at + FIXED_SLOTS + 2 * i + 1])}}`;
  }
  json += `],"droppedAttributesCount":${p[at + SLOT.droppedAttributesCount]}`;
  json += `,"events":${listJson(p[at + SLOT.events] ?? [], eventJson)}`;
  json += `,"droppedEventsCount":${p[at + SLOT.droppedEventsCount]}`;
  json += `,"status":{"code":${p[at + SLOT.statusCode]}`;
  const message = p[at + SLOT.statusMessage];
  if (message !== undefined) json += `,"message":${quote(message)}`;
  json += `},"links":${listJson(p[at + SLOT.links] ?? [], linkJson)}`;
  json += `,"droppedLinksCount":${p[at + SLOT.droppedLinksCount]}`;
  return `${json},"flags":${p[at + SLOT.flags]}}`;
}

/** Span flags: W3C trace flags in the low byte, plus "has is-remote" and "is remote" (OTLP). */
export const flags = (traceFlags, isRemote) => (traceFlags & 0xff) | 0x100 | (isRemote ? 0x200 : 0);

/** A TimedEvent, as the SDK keeps it (a plain object, cloned as it is). */
function eventJson(event) {
  const attributes = event.attributes ? attributesJson(event.attributes) : '[]';
  const [seconds, ns] = event.time;
  return (
    `{"attributes":${attributes},"name":${quote(event.name)}` +
    `,"timeUnixNano":"${nanos(seconds, ns)}","droppedAttributesCount":${event.droppedAttributesCount || 0}}`
  );
}

/** A link as `packSpans` packs it (its trace state serialized, its flags computed). */
function linkJson(link) {
  const attributes = link.attributes ? attributesJson(link.attributes) : '[]';
  let json = `{"attributes":${attributes},"spanId":"${link.spanId}","traceId":"${link.traceId}"`;
  if (link.traceState !== undefined) json += `,"traceState":${quote(link.traceState)}`;
  return `${json},"droppedAttributesCount":${link.droppedAttributesCount || 0},"flags":${link.flags}}`;
}

function listJson(items, item) {
  if (items.length === 0) return '[]';
  let json = '[';
  for (let i = 0; i < items.length; i++) json += (i > 0 ? ',' : '') + item(items[i]);
  return json + ']';
}

/** OTLP attributes (KeyValue list) of an attributes record. */
export function attributesJson(attributes) {
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
export function quote(s) {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** `{"key":"<key>","value":` by attribute key: the keys are few and come back on every span. */
const keyCache = new Map();

function keyJson(key) {
  let json = keyCache.get(key);
  if (json === undefined) {
    json = `{"key":${quote(key)},"value":`;
    if (keyCache.size < 1000) keyCache.set(key, json);
  }
  return json;
}

/** JSON.stringify(n) for a number: String(n), except that what is not finite is null. */
const numberJson = (n) => (Number.isFinite(n) ? String(n) : 'null');

function anyValueJson(value) {
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
    return `{"arrayValue":{"values":${listJson(value, anyValueJson)}}}`;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value).map((key) => `${keyJson(key)}${anyValueJson(value[key])}}`);
    return `{"kvlistValue":{"values":[${entries.join(',')}]}}`;
  }
  return '{}';
}

/** [seconds, nanoseconds] as the decimal string of its nanoseconds, without a BigInt. */
function nanos(seconds, ns) {
  const s = Math.trunc(seconds);
  const n = Math.trunc(ns);
  if (s > 0 && n >= 0 && n < 1e9) return `${s}${String(n).padStart(9, '0')}`;
  return (BigInt(s) * 1_000_000_000n + BigInt(n)).toString();
}
