import type { HrTime, SpanContext } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { flags } from './otlp-json-writer.mjs';

/**
 * OTLP/HTTP protobuf (an `ExportTraceServiceRequest`) for a batch of spans: the same bytes as the
 * SDK's ProtobufTraceSerializer, which `otlp-protobuf.unit.test.ts` compares on spans with every
 * kind of field. Written on the request thread, and the bytes handed to the export worker without
 * a copy (ADR 0008, second amendment).
 *
 * Why not the SDK's serializer: it cost ~40k instructions per span on the server's thread
 * (callgrind, services database route): it walks every span twice (a size estimate, then the
 * writing), copies strings one character at a time in three loops, and allocates an array per id.
 * This writes each span once, as it is added to its batch (`EncodedSpans`), with short ASCII
 * strings copied in one loop, longer ones by Buffer's native UTF-8 writer, ids through a table,
 * and the resource and scope parts cached as bytes. Measured, per span: ~10k instructions here
 * (the JSON path packed and cloned for ~7.75k here, then spent ~25k on the worker). A cache of
 * encoded strings, and the native writer for short strings, cost more than they saved (session 8).
 *
 * Lengths: each nested message gets one byte for its length, and is moved up when its length turns
 * out to need more (spans, usually), as the SDK's writer does; protobuf lengths are varints of
 * their minimal size.
 */
export function encodeSpans(spans: readonly ReadableSpan[]): Uint8Array<ArrayBuffer> {
  const batch = (spansBatch ??= new EncodedSpans());
  try {
    for (const span of spans) batch.add(span);
    return encodeBatch(batch);
  } finally {
    batch.reset(); // no spans' resources and scopes kept between calls
  }
}

/** `encodeSpans`'s batch, kept between calls. */
let spansBatch: EncodedSpans | undefined;

/** The spans of one (resource, scope) pair in a batch: where each one's bytes are. */
interface SpanGroup {
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
  /** Start and end offsets in the batch's bytes, two per span. */
  readonly ranges: number[];
}

/**
 * Spans written as they are added, each as a `ScopeSpans.spans` field (tag, length, Span), until
 * `encodeBatch` puts them into a request. What a batch holds is bytes: the spans themselves can be
 * collected as soon as they end (the span processor in otlp-batch.ts, ADR 0010).
 */
export class EncodedSpans {
  /** The spans' bytes, `length` of them used (grown as needed, kept by `reset`). */
  bytes: Buffer<ArrayBuffer>;
  length = 0;
  /** How many spans were added. */
  count = 0;
  /** Each (resource, scope) pair in the order its first span came. */
  readonly groups: SpanGroup[] = [];

  /** `size`: the buffer's first size in bytes (tests: spans written across every growth point). */
  constructor(size = BATCH_SIZE) {
    this.bytes = Buffer.allocUnsafeSlow(size);
  }

  /**
   * Writes the span; if it cannot be written, it throws and the batch is as it was. A span whose
   * resource (once its attributes have settled) or scope cannot be written throws here too,
   * rather than failing the batch later.
   */
  add(span: ReadableSpan): void {
    const { resource, instrumentationScope: scope } = span;
    const group = this.#find(resource, scope);
    if (!group) {
      // The first span of its pair in this batch: its resource and scope written (and cached). A
      // resource still detecting attributes is left for `encodeBatch`, after they have settled.
      pos = 0;
      if (!resource.asyncAttributesPending) resourceBytes(resource);
      scopeBytes(scope);
    }
    const start = this.length;
    const scratch = buf;
    buf = this.bytes;
    pos = start;
    try {
      ensure(1 + SLACK);
      buf[pos++] = TAG_2_LEN; // ScopeSpans.spans
      writeSpan(span);
      this.bytes = buf;
      this.length = pos;
    } finally {
      buf = scratch;
    }
    if (group) group.ranges.push(start, this.length);
    else this.groups.push({ resource, scope, ranges: [start, this.length] });
    this.count++;
  }

  /** Empties the batch, keeping its buffer (unless a batch of huge spans grew it past 1 MiB). */
  reset(): void {
    this.length = 0;
    this.count = 0;
    this.groups.length = 0;
    if (this.bytes.length > 1024 * 1024) this.bytes = Buffer.allocUnsafeSlow(BATCH_SIZE);
  }

  /** The group of a resource and a scope, both by identity, as the SDK's protobuf serializer. */
  #find(resource: Resource, scope: InstrumentationScope): SpanGroup | undefined {
    const groups = this.groups;
    // Usually one resource and a handful of scopes: a scan beats a map.
    for (let i = groups.length - 1; i >= 0; i--) {
      const group = groups[i]!;
      if (group.resource === resource && group.scope === scope) return group;
    }
    return undefined;
  }
}

/**
 * The `ExportTraceServiceRequest` of a batch: its spans by resource, then by scope, both in order
 * of first appearance, as the SDK's protobuf serializer groups them (by identity).
 */
export function encodeBatch(batch: EncodedSpans): Uint8Array<ArrayBuffer> {
  pos = 0;
  // Invariant: SLACK bytes are free here and after every write helper returns.
  const groups = batch.groups;
  const written = new Set<Resource>();
  for (let i = 0; i < groups.length; i++) {
    const resource = groups[i]!.resource;
    if (written.has(resource)) continue;
    written.add(resource);
    buf[pos++] = TAG_1_LEN; // ExportTraceServiceRequest.resource_spans
    const resourceSpans = open();
    put(resourceBytes(resource)); // ResourceSpans.resource, tag and all
    for (let j = i; j < groups.length; j++) {
      const group = groups[j]!;
      if (group.resource !== resource) continue;
      const scope = group.scope;
      buf[pos++] = TAG_2_LEN; // ResourceSpans.scope_spans
      const scopeSpans = open();
      put(scopeBytes(scope)); // ScopeSpans.scope
      // Each run of spans written one after another is copied at once: a batch of one group is
      // one run. With a copy per span, writing a 512-span ping batch took ~190 µs; with one per
      // run, 60-68 µs (session 22).
      const ranges = group.ranges;
      for (let r = 0; r < ranges.length;) {
        const start = ranges[r]!;
        let end = ranges[r + 1]!;
        r += 2;
        while (r < ranges.length && ranges[r] === end) {
          end = ranges[r + 1]!;
          r += 2;
        }
        ensure(end - start + SLACK);
        batch.bytes.copy(buf, pos, start, end);
        pos += end - start;
      }
      if (scope.schemaUrl) {
        buf[pos++] = TAG_3_LEN;
        writeString(scope.schemaUrl);
      }
      close(scopeSpans);
    }
    if (resource.schemaUrl) {
      buf[pos++] = TAG_3_LEN;
      writeString(resource.schemaUrl);
    }
    close(resourceSpans);
  }
  // The batch's own buffer, since it is transferred; the scratch one stays for the next batch,
  // unless a batch of huge spans grew it past 1 MiB.
  const out = new Uint8Array(pos);
  out.set(buf.subarray(0, pos));
  if (buf.length > 1024 * 1024) buf = Buffer.allocUnsafeSlow(SCRATCH_SIZE);
  return out;
}

/**
 * Restarts the scratch buffer at `bytes` (tests: a batch written across every growth point).
 */
export function resetScratchBuffer(bytes = SCRATCH_SIZE): void {
  buf = Buffer.allocUnsafeSlow(bytes);
}

/** Tags (field number << 3 | wire type) of the fields below 16: one byte each. */
const TAG_1_LEN = (1 << 3) | 2;
const TAG_2_LEN = (2 << 3) | 2;
const TAG_3_LEN = (3 << 3) | 2;
const TAG_4_LEN = (4 << 3) | 2;
const TAG_5_LEN = (5 << 3) | 2;
const LEN = 2;
const VARINT = 0;
const I64 = 1;
const I32 = 5;
const tag = (field: number, wire: number) => (field << 3) | wire;

/** The scratch buffer each batch is written into, grown as needed and kept. */
const SCRATCH_SIZE = 64 * 1024;
/** A new batch's buffer: ~100 of the services' spans (grown by doubling). */
const BATCH_SIZE = 32 * 1024;
let buf = Buffer.allocUnsafeSlow(SCRATCH_SIZE);
let pos = 0;

function ensure(bytes: number): void {
  if (pos + bytes <= buf.length) return;
  let size = Math.max(buf.length * 2, SLACK);
  while (size < pos + bytes) size *= 2;
  const grown = Buffer.allocUnsafeSlow(size);
  buf.copy(grown, 0, 0, pos);
  buf = grown;
}

/**
 * Free bytes every write helper below leaves behind it (each ensures its own size plus this), so
 * that the few tag bytes written directly between two helpers always have room.
 */
const SLACK = 16;

/** Starts a length-delimited message: one byte reserved for its length. */
function open(): number {
  ensure(1 + SLACK);
  return pos++;
}

/** Writes the length of the message opened at `at`, moving its body up if it needs more bytes. */
function close(at: number): void {
  const length = pos - at - 1;
  if (length < 0x80) {
    buf[at] = length;
    return;
  }
  const size = varintSize(length);
  ensure(size + SLACK);
  buf.copyWithin(at + size, at + 1, pos);
  pos += size - 1;
  let p = at;
  let v = length;
  while (v > 0x7f) {
    buf[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[p] = v;
}

function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/**
 * A varint, as the SDK writes one: an unsigned 32-bit value directly, anything else as a 64-bit
 * two's complement (a negative int64 takes ten bytes).
 */
function writeVarint(value: number): void {
  ensure(10 + SLACK);
  const b = buf;
  let p = pos;
  if (value >= 0 && value <= 0xffffffff) {
    let v = value >>> 0;
    while (v > 0x7f) {
      b[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[p++] = v;
    pos = p;
    return;
  }
  let low: number;
  let high: number;
  if (value >= 0) {
    low = value >>> 0;
    high = (value / 0x100000000) >>> 0;
  } else {
    const abs = Math.abs(value);
    low = ~(abs >>> 0) >>> 0;
    high = ~((abs / 0x100000000) >>> 0) >>> 0;
    low = (low + 1) >>> 0;
    if (low === 0) high = (high + 1) >>> 0;
  }
  while (high > 0 || low > 0x7f) {
    b[p++] = (low & 0x7f) | 0x80;
    low = ((low >>> 7) | (high << 25)) >>> 0;
    high >>>= 7;
  }
  b[p++] = low & 0x7f;
  pos = p;
}

/** Little-endian, at `p` (room ensured by the caller). */
function putUint32(b: Buffer, p: number, v: number): void {
  b[p] = v;
  b[p + 1] = v >>> 8;
  b[p + 2] = v >>> 16;
  b[p + 3] = v >>> 24;
}

function writeFixed32(v: number): void {
  ensure(4 + SLACK);
  putUint32(buf, pos, v);
  pos += 4;
}

/**
 * An HrTime as fixed64 nanoseconds since the epoch. seconds × 10⁹ exceeds 2⁵³, so the seconds are
 * split at bit 16 and each part's product (exact, below 2⁵³) is added into two 32-bit words.
 */
function writeTime(time: HrTime): void {
  ensure(8 + SLACK);
  const [seconds, nanos] = time;
  const lowSeconds = (seconds & 0xffff) * 1e9;
  const highSeconds = ((seconds / 0x10000) >>> 0) * 1e9;
  const low = (lowSeconds >>> 0) + (((highSeconds & 0xffff) * 0x10000) >>> 0) + nanos;
  const high =
    Math.floor(lowSeconds / 0x100000000) +
    ((highSeconds / 0x10000) >>> 0) +
    Math.floor(low / 0x100000000);
  putUint32(buf, pos, low >>> 0);
  putUint32(buf, pos + 4, high >>> 0);
  pos += 8;
}

/** Hex digit values by character code below 128, as the SDK's `hexToBinary` maps them. */
const HEX = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  HEX[c] = (c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c - 55) & 0xff;
}

/**
 * A hex id (trace or span) as its bytes, with its length: every character mapped as the SDK's
 * `hexToBinary` maps it, whatever it is (the SDK checks no id it writes). One loop over a table:
 * checking the id with a regular expression and then calling Buffer's native hex decoder cost a
 * third of writing a server span (CPU profile; docs/benchmarks.md, session 11).
 */
function writeId(hex: string): void {
  const bytes = hex.length >>> 1;
  writeVarint(bytes);
  ensure(bytes + SLACK);
  const b = buf;
  for (let i = 0; i < bytes; i++) {
    b[pos + i] = (hexValue(hex.charCodeAt(2 * i)) << 4) | hexValue(hex.charCodeAt(2 * i + 1));
  }
  pos += bytes;
}

function hexValue(c: number): number {
  return c < 128 ? HEX[c]! : c - 55;
}

/**
 * A string as its length and UTF-8. A short one is copied in one loop while it is ASCII, its
 * length byte reserved (42 UTF-16 units take at most 126 bytes); the rest by Buffer's UTF-8
 * writer, which replaces lone surrogates with U+FFFD as TextEncoder does.
 */
function writeString(s: unknown): void {
  if (typeof s !== 'string') {
    // A name or version that is not a string (the SDK does not check them): empty, as the SDK
    // writes it, rather than failing the batch.
    ensure(1 + SLACK);
    buf[pos++] = 0;
    return;
  }
  const n = s.length;
  if (n <= 42) {
    ensure(1 + 3 * n + SLACK);
    const b = buf;
    const at = pos;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      b[at + 1 + i] = c;
    }
    const length = i === n ? n : b.write(s, at + 1, 'utf8');
    b[at] = length;
    pos = at + 1 + length;
    return;
  }
  const length = Buffer.byteLength(s, 'utf8');
  writeVarint(length);
  ensure(length + SLACK);
  // The length is already written: a writer that disagreed with it would corrupt the batch.
  if (buf.write(s, pos, length, 'utf8') !== length) throw new Error('UTF-8 length mismatch');
  pos += length;
}

function put(bytes: Uint8Array): void {
  ensure(bytes.length + SLACK);
  buf.set(bytes, pos);
  pos += bytes.length;
}

function writeSpan(span: ReadableSpan): void {
  const at = open();
  const ctx = span.spanContext();
  const parent = span.parentSpanContext;
  writeContext(ctx);
  if (parent?.spanId) {
    buf[pos++] = TAG_4_LEN;
    writeId(parent.spanId);
  }
  buf[pos++] = TAG_5_LEN;
  writeString(span.name);
  // Offset by one: the API has no value for "unspecified".
  const kind = (span.kind as number | undefined) == null ? 0 : span.kind + 1;
  if (kind !== 0) {
    buf[pos++] = tag(6, VARINT);
    writeVarint(kind);
  }
  buf[pos++] = tag(7, I64);
  writeTime(span.startTime);
  buf[pos++] = tag(8, I64);
  writeTime(span.endTime);
  if (span.attributes) writeAttributes(span.attributes, 9);
  buf[pos++] = tag(10, VARINT);
  writeVarint(span.droppedAttributesCount);
  for (const event of span.events) writeEvent(event);
  buf[pos++] = tag(12, VARINT);
  writeVarint(span.droppedEventsCount);
  for (const link of span.links) writeLink(link);
  buf[pos++] = tag(14, VARINT);
  writeVarint(span.droppedLinksCount);
  buf[pos++] = tag(15, LEN);
  const status = open();
  if (span.status.message) {
    buf[pos++] = TAG_2_LEN;
    writeString(span.status.message);
  }
  buf[pos++] = tag(3, VARINT);
  writeVarint(span.status.code);
  close(status);
  // Field 16 takes a two-byte tag.
  buf[pos++] = 0x80 | (tag(16, I32) & 0x7f);
  buf[pos++] = tag(16, I32) >>> 7;
  writeFixed32(flags(ctx.traceFlags, parent?.isRemote));
  close(at);
}

/** A span's or a link's first three fields: trace id, span id, trace state (if any). */
function writeContext(ctx: SpanContext): void {
  buf[pos++] = TAG_1_LEN;
  writeId(ctx.traceId);
  buf[pos++] = TAG_2_LEN;
  writeId(ctx.spanId);
  const traceState = ctx.traceState?.serialize();
  if (traceState) {
    buf[pos++] = TAG_3_LEN;
    writeString(traceState);
  }
}

function writeEvent(event: TimedEvent): void {
  buf[pos++] = tag(11, LEN);
  const at = open();
  buf[pos++] = tag(1, I64);
  writeTime(event.time);
  buf[pos++] = TAG_2_LEN;
  writeString(event.name);
  if (event.attributes) writeAttributes(event.attributes, 3);
  buf[pos++] = tag(4, VARINT);
  writeVarint(event.droppedAttributesCount || 0);
  close(at);
}

function writeLink(link: ReadableSpan['links'][number]): void {
  buf[pos++] = tag(13, LEN);
  const at = open();
  const ctx = link.context;
  writeContext(ctx);
  if (link.attributes) writeAttributes(link.attributes, 4);
  buf[pos++] = tag(5, VARINT);
  writeVarint(link.droppedAttributesCount || 0);
  buf[pos++] = tag(6, I32);
  writeFixed32(flags(ctx.traceFlags, ctx.isRemote));
  close(at);
}

/** Each own attribute as a KeyValue in field `field`. */
function writeAttributes(attributes: Readonly<Record<string, unknown>>, field: number): void {
  for (const key of Object.keys(attributes)) {
    buf[pos++] = tag(field, LEN);
    writeKeyValue(key, attributes[key]);
  }
}

function writeKeyValue(key: string, value: unknown): void {
  const at = open();
  buf[pos++] = TAG_1_LEN;
  writeKey(key);
  buf[pos++] = TAG_2_LEN;
  const any = open();
  writeAnyValue(value);
  close(any);
  close(at);
}

/**
 * Attribute keys as their length and UTF-8, by key: a span's keys are nearly always the same few
 * literals, so each is written once and then copied: a map lookup and a copy of a 16-byte key
 * took ~300 instructions, writing its characters ~520 (callgrind, docs/benchmarks.md, session 22).
 * At most KEYS_KEPT keys, of at most KEY_BYTES_KEPT bytes each, are kept; others are written each
 * time.
 */
const keyBytes = new Map<string, Uint8Array>();
const KEYS_KEPT = 1024;
const KEY_BYTES_KEPT = 64;

function writeKey(key: string): void {
  const bytes = keyBytes.get(key);
  if (bytes === undefined) {
    const at = pos;
    writeString(key);
    if (keyBytes.size >= KEYS_KEPT || pos - at > KEY_BYTES_KEPT) return;
    keyBytes.set(key, new Uint8Array(buf.subarray(at, pos))); // a copy
    return;
  }
  ensure(bytes.length + SLACK);
  buf.set(bytes, pos);
  pos += bytes.length;
}

/** An attribute value as AnyValue, as the SDK maps them (nothing for null and undefined). */
function writeAnyValue(value: unknown): void {
  if (typeof value === 'string') {
    buf[pos++] = TAG_1_LEN;
    writeString(value);
  } else if (typeof value === 'boolean') {
    buf[pos++] = tag(2, VARINT);
    buf[pos++] = value ? 1 : 0;
  } else if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 63) {
      buf[pos++] = tag(3, VARINT);
      writeVarint(value);
    } else {
      buf[pos++] = tag(4, I64);
      ensure(8 + SLACK);
      buf.writeDoubleLE(value, pos);
      pos += 8;
    }
  } else if (value instanceof Uint8Array) {
    buf[pos++] = tag(7, LEN);
    writeVarint(value.length);
    put(value);
  } else if (Array.isArray(value)) {
    buf[pos++] = tag(5, LEN);
    const array = open();
    for (const item of value as unknown[]) {
      buf[pos++] = TAG_1_LEN;
      const at = open();
      writeAnyValue(item);
      close(at);
    }
    close(array);
  } else if (typeof value === 'object' && value !== null) {
    buf[pos++] = tag(6, LEN);
    const list = open();
    for (const key of Object.keys(value)) {
      buf[pos++] = TAG_1_LEN;
      writeKeyValue(key, (value as Record<string, unknown>)[key]);
    }
    close(list);
  }
}

/**
 * The parts that are the same in every batch, written once each into the scratch buffer's tail
 * and kept as bytes. A resource whose attributes are still being detected is not cached.
 */
const resourceCache = new WeakMap<Resource, Uint8Array>();
const scopeCache = new WeakMap<InstrumentationScope, Uint8Array>();

function resourceBytes(resource: Resource): Uint8Array {
  let bytes = resourceCache.get(resource);
  if (!bytes) {
    bytes = writeAside(() => {
      buf[pos++] = TAG_1_LEN; // ResourceSpans.resource
      const at = open();
      if (resource.attributes) writeAttributes(resource.attributes, 1);
      buf[pos++] = tag(2, VARINT); // dropped_attributes_count
      buf[pos++] = 0;
      close(at);
    });
    if (!resource.asyncAttributesPending) resourceCache.set(resource, bytes);
  }
  return bytes;
}

function scopeBytes(scope: InstrumentationScope): Uint8Array {
  let bytes = scopeCache.get(scope);
  if (!bytes) {
    const withAttributes = scope as InstrumentationScope & {
      attributes?: Record<string, unknown>;
      droppedAttributesCount?: number;
    };
    bytes = writeAside(() => {
      buf[pos++] = TAG_1_LEN; // ScopeSpans.scope
      const at = open();
      buf[pos++] = TAG_1_LEN;
      writeString(scope.name);
      if (scope.version) {
        buf[pos++] = TAG_2_LEN;
        writeString(scope.version);
      }
      if (withAttributes.attributes) writeAttributes(withAttributes.attributes, 3);
      if (withAttributes.droppedAttributesCount) {
        buf[pos++] = tag(4, VARINT);
        writeVarint(withAttributes.droppedAttributesCount);
      }
      close(at);
    });
    scopeCache.set(scope, bytes);
  }
  return bytes;
}

/** Runs `write` past the batch written so far and returns a copy of what it wrote. */
function writeAside(write: () => void): Uint8Array {
  const start = pos;
  write();
  const bytes = new Uint8Array(buf.subarray(start, pos));
  pos = start;
  return bytes;
}
