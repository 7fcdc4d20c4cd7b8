import { SpanKind } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { recordEveryField, recordSpans, unreadableSpan } from '../../../test/spans';
import { EncodedSpans, encodeBatch, encodeSpans, resetScratchBuffer } from './otlp-protobuf';

const sdkBytes = (spans: ReadableSpan[]) =>
  Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) ?? new Uint8Array(0));

/** Attribute values of every shape the SDK's protobuf mapping distinguishes. */
const EDGE_VALUES: Record<string, unknown> = {
  'int.zero': 0,
  'int.small': 127,
  'int.two.bytes': 128,
  'int.max32': 0xffffffff,
  'int.above32': 2 ** 32,
  'int.big': 2 ** 60,
  'int.negative': -1,
  'int.very.negative': -(2 ** 40) - 3,
  'int.min64': -(2 ** 63),
  'double.huge': 2 ** 63, // an integer, but outside int64: a double
  'double.very.negative': -(2 ** 64),
  'double.half': 0.5,
  'double.nan': Number.NaN,
  'double.negative.infinity': Number.NEGATIVE_INFINITY,
  'string.empty': '',
  'string.42.ascii': 'x'.repeat(42),
  'string.43.ascii': 'y'.repeat(43),
  'string.42.accents': 'é'.repeat(42), // 84 bytes in one length byte
  'string.42.cjk': '中'.repeat(42), // 126 bytes: still one
  'string.43.cjk': '中'.repeat(43), // 129 bytes: two
  'string.long.emoji': '😀'.repeat(40), // 160 bytes: a two-byte length
  'string.lone.surrogates': 'a\ud800b\udc00c',
  'string.long.lone': `${'z'.repeat(50)}\ud800`,
  bytes: new Uint8Array([0, 1, 254, 255]),
  'array.mixed': ['a', 1, 2.5, true, null],
  'array.empty': [],
  'array.long': Array.from({ length: 40 }, (_, i) => `item-${i}`), // nested lengths past 127
  kvlist: { a: 'b', n: { deep: [1, 2] } },
  'null.value': null,
};

describe('encodeSpans (OTLP protobuf)', () => {
  it("writes the SDK serializer's bytes for spans with every kind of field", () => {
    const spans = recordSpans(
      { 'service.name': 'hanger-test', 'service.instance': 7 },
      recordEveryField,
    );
    expect(spans).toHaveLength(4);
    expect(Buffer.from(encodeSpans(spans)).equals(sdkBytes(spans))).toBe(true);
  });

  it('writes every attribute value shape, long spans, and large batches, as the SDK does', () => {
    const spans = recordSpans({ 'service.name': 'hanger-test', ...EDGE_VALUES }, (p) => {
      const tracer = p.getTracer('hanger', '1.0.0');
      // Span bodies past 127 and 16,383 bytes: their length moved up one and two bytes.
      tracer
        .startSpan('edge values', { kind: SpanKind.PRODUCER, attributes: EDGE_VALUES as never })
        .end();
      tracer.startSpan('huge', { attributes: { sql: 'SELECT 1 -- '.repeat(2000) } }).end();
      tracer.startSpan('unicode name 😀 é').end();
      // Ids the SDK does not check (a link's): upper case, and characters that are not hex.
      tracer
        .startSpan('odd links', {
          links: [
            {
              context: {
                traceId: 'ABCDEF0123456789'.repeat(2),
                spanId: '0A1B2C3D4E5F6A7B',
                traceFlags: 1,
              },
            },
            {
              context: {
                traceId: `${'0'.repeat(30)}zz`,
                spanId: 'g-h.i jk'.repeat(2),
                traceFlags: 0,
              },
            },
            // Beyond ASCII: one-byte (Latin-1) and two-byte characters, which Buffer's hex decoder
            // would truncate to their low byte.
            {
              context: {
                traceId: `${'0'.repeat(30)}ü°`,
                spanId: '0123456789abcd\u01300',
                traceFlags: 1,
              },
            },
          ],
        })
        .end();
      // A batch larger than the scratch buffer starts with (64 KiB): it grows mid-batch.
      for (let i = 0; i < 600; i++) {
        tracer
          .startSpan(`GET /api/v1/items/${i}`, { attributes: { i, path: 'p'.repeat(100) } })
          .end();
      }
    });
    const ours = Buffer.from(encodeSpans(spans));
    expect(ours.length).toBeGreaterThan(64 * 1024);
    expect(ours.equals(sdkBytes(spans))).toBe(true);
  });

  it('writes keys beyond ASCII and past the kept ones as the SDK does, the first time and after', () => {
    const odd = {
      'clé.é': 1,
      '键.中文': 2,
      'emoji.😀': 3,
      'lone.\ud800': 4,
      [`long.${'k'.repeat(60)}`]: 5, // past the one loop's 42 characters
      [`longer.${'中'.repeat(50)}`]: 6, // 150 bytes: a two-byte length
    };
    const spans = recordSpans({ 'service.name': 'hanger-test' }, (p) => {
      const tracer = p.getTracer('hanger');
      // Each key twice (written, then copied), and more distinct keys than are kept.
      for (let i = 0; i < 2; i++) tracer.startSpan(`odd keys ${i}`, { attributes: odd }).end();
      for (let i = 0; i < 1100; i++) {
        tracer.startSpan(`many keys ${i}`, { attributes: { [`key.${i}`]: i, 'clé.é': i } }).end();
      }
      tracer.startSpan('odd keys again', { attributes: odd }).end();
    });
    expect(Buffer.from(encodeSpans(spans)).equals(sdkBytes(spans))).toBe(true);
  });

  it('writes names and versions that are not strings as the SDK does: empty', () => {
    const spans = recordSpans({ 'service.name': 'hanger-test' }, (p) => {
      p.getTracer('hanger').startSpan('ok').end();
      p.getTracer('hanger')
        .startSpan(404 as never)
        .end();
      p.getTracer('other', 2 as never)
        .startSpan('versioned')
        .end();
    });
    expect(Buffer.from(encodeSpans(spans)).equals(sdkBytes(spans))).toBe(true);
  });

  it('writes the same bytes whichever write a buffer has to grow at', () => {
    const spans = recordSpans({ 'service.name': 'hanger-test' }, recordEveryField);
    const expected = sdkBytes(spans);
    try {
      // From one byte up to past the whole batch: each buffer (the batch's, as its spans are
      // added, and the request's) grows at every position in turn, inside ids, strings, lengths
      // being moved and cached parts.
      for (let size = 1; size <= expected.length + 64; size++) {
        // A resource and scopes not written before, so that their parts are written (and cached)
        // into the small scratch buffer too.
        const resource = resourceFromAttributes(spans[0]!.resource.attributes);
        const scopes = new Map<unknown, object>();
        const fresh = spans.map((span) => {
          let scope = scopes.get(span.instrumentationScope);
          if (!scope)
            scopes.set(span.instrumentationScope, (scope = { ...span.instrumentationScope }));
          return Object.assign(Object.create(span) as ReadableSpan, {
            resource,
            instrumentationScope: scope,
          });
        });
        resetScratchBuffer(size);
        const batch = new EncodedSpans(size);
        for (const span of fresh) batch.add(span);
        const ours = Buffer.from(encodeBatch(batch));
        if (!ours.equals(expected)) throw new Error(`different bytes with a ${size}-byte buffer`);
      }
    } finally {
      resetScratchBuffer();
    }
  });

  it('writes an empty batch as nothing, and each batch into a buffer of its own', () => {
    expect(encodeSpans([])).toHaveLength(0);
    const spans = recordSpans({ 'service.name': 'hanger-test' }, recordEveryField);
    const first = encodeSpans(spans);
    const second = encodeSpans(spans.slice(0, 1));
    // The first batch's bytes are untouched by the second (the exporter transfers each away),
    // and the cached resource and scope parts write the same bytes again.
    expect(first.buffer).not.toBe(second.buffer);
    expect(Buffer.from(first).equals(sdkBytes(spans))).toBe(true);
    expect(Buffer.from(second).equals(sdkBytes(spans.slice(0, 1)))).toBe(true);
    expect(Buffer.from(encodeSpans(spans)).equals(Buffer.from(first))).toBe(true);
  });

  it('groups spans of two resources and interleaved scopes as the SDK does', () => {
    const a = recordSpans({ 'service.name': 'one' }, (p) => {
      p.getTracer('x').startSpan('a1').end();
      p.getTracer('y', '2').startSpan('a2').end();
      p.getTracer('x').startSpan('a3').end();
    });
    const b = recordSpans({ 'service.name': 'two' }, (p) => p.getTracer('x').startSpan('b1').end());
    const mixed = [a[0]!, b[0]!, a[1]!, a[2]!];
    expect(Buffer.from(encodeSpans(mixed)).equals(sdkBytes(mixed))).toBe(true);
  });

  it('leaves a batch as it was when a span cannot be written, and reuses it once reset', () => {
    const spans = recordSpans({ 'service.name': 'hanger-test' }, recordEveryField);
    const unreadable = unreadableSpan(spans[0]!);
    const batch = new EncodedSpans(64);
    batch.add(spans[0]!);
    expect(() => batch.add(unreadable)).toThrow('unreadable attributes');
    for (const span of spans.slice(1)) batch.add(span);
    expect(batch.count).toBe(spans.length);
    expect(Buffer.from(encodeBatch(batch)).equals(sdkBytes(spans))).toBe(true);

    const grown = batch.bytes;
    batch.reset();
    expect([batch.count, batch.length, batch.groups.length]).toEqual([0, 0, 0]);
    expect(batch.bytes).toBe(grown);
    batch.add(spans[1]!);
    expect(Buffer.from(encodeBatch(batch)).equals(sdkBytes(spans.slice(1, 2)))).toBe(true);
  });

  it('keeps alike scope objects apart, as the SDK groups them: by identity', () => {
    const spans = recordSpans({ 'service.name': 'hanger-test' }, (p) => {
      p.getTracer('x', '1').startSpan('one').end();
      p.getTracer('y').startSpan('two').end();
      p.getTracer('x', '1').startSpan('three').end();
    });
    // The third span's scope: another object with the same name, version and schema URL.
    const third = Object.assign(Object.create(spans[2]!) as ReadableSpan, {
      instrumentationScope: { ...spans[2]!.instrumentationScope },
    });
    const mixed = [spans[0]!, spans[1]!, third];
    expect(Buffer.from(encodeSpans(mixed)).equals(sdkBytes(mixed))).toBe(true);
  });

  it('refuses a span whose resource or scope cannot be written when it is added', () => {
    const [span] = recordSpans({ 'service.name': 'hanger-test' }, (p) =>
      p.getTracer('x').startSpan('fine').end(),
    );
    const throwing = {
      get attributes(): never {
        throw new Error('unreadable resource');
      },
    };
    const badResource = Object.assign(Object.create(span!) as ReadableSpan, { resource: throwing });
    const badScope = Object.assign(Object.create(span!) as ReadableSpan, {
      instrumentationScope: {
        get name(): never {
          throw new Error('unreadable scope');
        },
      },
    });
    const batch = new EncodedSpans(64);
    expect(() => batch.add(badResource)).toThrow('unreadable resource');
    expect(() => batch.add(badScope)).toThrow('unreadable scope');
    batch.add(span!);
    expect([batch.count, batch.groups.length]).toEqual([1, 1]);
    expect(Buffer.from(encodeBatch(batch)).equals(sdkBytes([span!]))).toBe(true);
  });
});
