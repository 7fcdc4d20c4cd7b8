import {
  DiagLogLevel,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  context,
  createTraceState,
  diag,
  propagation,
  trace,
  type Attributes,
  type HrTime,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';
import { otperformance, suppressTracing } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeSpans } from './otlp-protobuf';
import { RequestSpan, requestSpanSource, sampledChildSpan } from './request-span';
import {
  getTracer,
  startChildSpan,
  startServerSpan,
  startTracing,
  stopTracing,
  traceLogText,
} from './tracing';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';

/** What a span processor is told, in order: which processor, the call, and what it was given. */
function recordingProcessor(which: string, calls: string[], spans: unknown[]): SpanProcessor {
  return {
    onStart: (span, ctx) => {
      spans.push(span);
      calls.push(
        `${which} start ${(span as unknown as ReadableSpan).name} root=${String(ctx === ROOT_CONTEXT)} attributes=${JSON.stringify((span as unknown as ReadableSpan).attributes)}`,
      );
    },
    onEnding: (span) => {
      spans.push(span);
      calls.push(`${which} ending ${span.name} ended=${String(span.ended)}`);
    },
    onEnd: (span) => {
      spans.push(span);
      calls.push(`${which} end ${span.name} ended=${String(span.ended)}`);
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
}

/** A sampled parent with a trace state, for the child spans (a query's under its request's). */
const PARENT: SpanContext = {
  traceId: TRACE_ID,
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
  traceState: createTraceState('vendor=value'),
};
const UNDER_PARENT = trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext(PARENT));

/** What a query's span starts with, and some that neither span keeps or keeps whole. */
const START_ATTRIBUTES: Attributes = {
  'db.system.name': 'postgresql',
  // An empty key with no value: the SDK warns of the key (it checks the key first).
  '': undefined,
  object: { a: 1 } as unknown as string,
  'db.query.text': 'SELECT id FROM items WHERE id = $1',
  'server.port': 5432,
  nothing: undefined,
  'db.namespace': 'hanger',
  'server.address': 'db.internal',
  'db.operation.name': 'SELECT',
  strings: ['a', 'b'],
};

/**
 * An SDK span and a request span with the same ids, resource, scope and limits (the SDK's, read
 * from the environment when the provider is made), and what their two processors were told. A
 * `child` pair is a CLIENT span with START_ATTRIBUTES under PARENT, as the SDK's tracer makes it
 * under its default parent-based sampler; `startDiag` is what each wrote as it started.
 */
function pair(shape: 'root' | 'child' = 'root') {
  const resource = resourceFromAttributes({ 'service.name': 'request-span-test' });
  const sdkCalls: string[] = [];
  const ownCalls: string[] = [];
  const sdkSeen: unknown[] = [];
  const ownSeen: unknown[] = [];
  const provider = new BasicTracerProvider({
    resource,
    spanProcessors: [
      recordingProcessor('first', sdkCalls, sdkSeen),
      recordingProcessor('second', sdkCalls, sdkSeen),
    ],
    idGenerator: { generateTraceId: () => TRACE_ID, generateSpanId: () => SPAN_ID },
  });
  const tracer = provider.getTracer('hanger');
  const source = requestSpanSource(tracer, resource, [
    recordingProcessor('first', ownCalls, ownSeen),
    recordingProcessor('second', ownCalls, ownSeen),
  ]);
  if (!source) throw new Error('the SDK tracer has no scope or limits');
  let sdk!: Span;
  let own!: RequestSpan;
  const startDiag =
    shape === 'root'
      ? [
          diagnostics(() => {
            sdk = tracer.startSpan('GET /items/:id', { kind: SpanKind.SERVER }, ROOT_CONTEXT);
          }),
          diagnostics(() => {
            own = new RequestSpan('GET /items/:id', TRACE_ID, SPAN_ID, source, ROOT_CONTEXT);
          }),
        ]
      : [
          diagnostics(() => {
            sdk = tracer.startSpan(
              'SELECT hanger',
              { kind: SpanKind.CLIENT, attributes: START_ATTRIBUTES },
              UNDER_PARENT,
            );
          }),
          diagnostics(() => {
            own = new RequestSpan('SELECT hanger', TRACE_ID, SPAN_ID, source, UNDER_PARENT, {
              kind: SpanKind.CLIENT,
              parent: PARENT,
              attributes: START_ATTRIBUTES,
            });
          }),
        ];
  return { sdk, own, sdkCalls, ownCalls, sdkSeen, ownSeen, limits: source.limits, startDiag };
}

/** Everything a span shows its exporters, but its clock readings. */
function shown(span: Span) {
  const s = span as unknown as ReadableSpan;
  return {
    name: s.name,
    kind: s.kind,
    parent: s.parentSpanContext,
    attributes: s.attributes,
    status: s.status,
    events: s.events.map(({ name, attributes, droppedAttributesCount }) => ({
      name,
      attributes,
      droppedAttributesCount,
    })),
    links: s.links,
    dropped: [s.droppedAttributesCount, s.droppedEventsCount, s.droppedLinksCount],
    ended: s.ended,
    recording: span.isRecording(),
    scope: s.instrumentationScope,
    resource: s.resource.attributes,
  };
}

/** The diag messages written while `fn` runs (errors or Error objects reduced to their text). */
function diagnostics(fn: () => void): string[] {
  const out: string[] = [];
  const write =
    (level: string) =>
    (message: string, ...args: unknown[]) =>
      out.push(
        `${level} ${message} ${args.map((a) => (a instanceof Error ? a.message : JSON.stringify(a))).join(' ')}`,
      );
  diag.setLogger(
    {
      error: write('error'),
      warn: write('warn'),
      info: write('info'),
      debug: write('debug'),
      verbose: write('verbose'),
    },
    { logLevel: DiagLogLevel.ALL, suppressOverrideMessage: true },
  );
  try {
    fn();
  } finally {
    diag.disable();
  }
  return out;
}

/** A time before any span here starts (events may carry any time). */
const at: HrTime = [1_700_000_000, 250_000_000];
/** A time after every span here starts: where the scenarios end them. */
const LATER: HrTime = [Math.floor(Date.now() / 1000) + 3600, 125_000_000];
/** The same, in epoch milliseconds: a number past performance.now(), read as wall-clock time. */
const LATER_MS = Date.now() + 60_000;
/** One error for both spans: its stack names the line that made it. */
const BOOM = Object.assign(new Error('boom'), { code: 'E_BOOM' });

/** Operations a request's span may see, each applied to both spans. */
const SCENARIOS: Record<string, (span: Span, limits: ReturnType<typeof pair>['limits']) => void> = {
  'attributes, valid and not': (span) => {
    span.setAttribute('http.route', '/items/:id');
    span.setAttribute('http.response.status_code', 200);
    span.setAttribute('null', null as unknown as string);
    span.setAttribute('undefined', undefined as unknown as string);
    span.setAttribute('', 'empty key');
    span.setAttribute('object', { a: 1 } as unknown as string);
    span.setAttribute('mixed.array', ['a', 1] as unknown as string[]);
    span.setAttribute('strings', ['a', null, 'b']);
    span.setAttribute('http.route', '/items/:id/again');
    span.setAttributes({ 'url.path': '/api/v1/items/1', 'hanger.request_id': 'r-1', ok: true });
  },
  'attributes past the count limit': (span, limits) => {
    for (let i = 0; i < limits.attributeCountLimit + 3; i++) span.setAttribute(`a${i}`, i);
    span.setAttribute('a0', 'overwritten at the limit');
  },
  'status rules': (span) => {
    span.setStatus({ code: SpanStatusCode.UNSET });
    span.setStatus({ code: SpanStatusCode.ERROR, message: 42 as unknown as string });
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
    span.setStatus({ code: SpanStatusCode.OK, message: 'ignored on OK' });
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'OK stays' });
  },
  'events and their times': (span, limits) => {
    span.addEvent('plain');
    span.addEvent('with attributes', { n: 1, bad: { x: 1 } as unknown as string });
    span.addEvent('at a date', new Date(1_700_000_000_123));
    span.addEvent('at an hrtime', { k: 'v' }, at);
    span.addEvent('time first, then a time', at, [1_700_000_001, 0]);
    const many: Attributes = {};
    for (let i = 0; i < limits.attributePerEventCountLimit + 2; i++) many[`k${i}`] = i;
    span.addEvent('at epoch milliseconds', LATER_MS);
    span.addEvent('too many attributes', many);
  },
  'events past the count limit': (span, limits) => {
    for (let i = 0; i < limits.eventCountLimit + 2; i++) span.addEvent(`e${i}`, at);
  },
  'links and exceptions': (span) => {
    const other = { traceId: TRACE_ID, spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED };
    span.addLink({ context: other, attributes: { why: 'retry' } });
    span.addLinks([{ context: other }, { context: other, attributes: {} }]);
    span.recordException(BOOM, at);
    span.recordException('just a message', at);
    span.recordException({} as Error);
    span.updateName('GET /items/:id renamed');
  },
  'long values': (span) => {
    span.setAttribute('long', 'x'.repeat(40));
    span.setAttribute('longs', ['y'.repeat(40), 'short', 3] as unknown as string[]);
    span.addEvent('with a long value', { long: 'z'.repeat(40) }, at);
    span.addLink({ context: span.spanContext(), attributes: { long: 'w'.repeat(40), n: 1, m: 2 } });
  },
  'after the end': (span) => {
    span.end(LATER);
    span.setAttribute('late', 1);
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.addEvent('late', at);
    span.addLink({ context: span.spanContext() });
    span.updateName('late');
    span.end();
  },
};

/** The scenarios' events given no time, which read the clock. */
const CLOCK_EVENTS = new Set(['plain', 'with attributes', 'too many attributes']);

/** Limits set through the environment, as an operator would (read when a provider is made). */
const ENV_LIMITS = {
  OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '4',
  OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '10',
  OTEL_SPAN_EVENT_COUNT_LIMIT: '3',
  OTEL_SPAN_LINK_COUNT_LIMIT: '1',
  OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT: '2',
  OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT: '1',
};

describe.each<[string, 'root' | 'child', Record<string, string>]>([
  ['the default limits', 'root', {}],
  ['limits from the environment', 'root', ENV_LIMITS],
  [
    'a value length limit of 0, which both ignore with a warning',
    'root',
    { OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '0' },
  ],
  ['the default limits, as a child with attributes', 'child', {}],
  ['limits from the environment, as a child with attributes', 'child', ENV_LIMITS],
  [
    'a value length limit of 0, as a child with attributes',
    'child',
    { OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '0' },
  ],
])('RequestSpan, against the SDK span it stands for, with %s', (_, shape, env) => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it.each(Object.entries(SCENARIOS))('%s: the same span, calls and warnings', (_, apply) => {
    Object.assign(process.env, env);
    const { sdk, own, sdkCalls, ownCalls, sdkSeen, ownSeen, limits, startDiag } = pair(shape);
    expect(startDiag[1]).toEqual(startDiag[0]);
    if (shape === 'child') expect(startDiag[0]!.length).toBeGreaterThan(0); // the invalid ones
    if (env.OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT) expect(limits.attributeCountLimit).toBe(4);
    const sdkDiag = diagnostics(() => apply(sdk, limits));
    const ownDiag = diagnostics(() => apply(own, limits));
    if (sdk.isRecording()) sdk.end(LATER);
    if (own.isRecording()) own.end(LATER);
    expect(shown(own)).toEqual(shown(sdk));
    expect(own.spanContext()).toStrictEqual(sdk.spanContext());
    expect(own.endTime).toEqual((sdk as unknown as ReadableSpan).endTime);
    expect(ownDiag).toEqual(sdkDiag);
    // Both processors, in the same order, each given the span itself.
    expect(ownCalls).toEqual(sdkCalls);
    expect(ownSeen.every((seen) => seen === own)).toBe(true);
    expect(sdkSeen.every((seen) => seen === sdk)).toBe(true);
    // Events at a given time carry it: the same times on both spans, except those read off the
    // clock (no time given), which are compared in the test below.
    const [sdkTimes, ownTimes] = [sdk as unknown as ReadableSpan, own].map((s) =>
      s.events.filter((e) => !CLOCK_EVENTS.has(e.name)).map((e) => e.time),
    );
    expect(ownTimes).toEqual(sdkTimes);
    // And our protobuf writer writes a RequestSpan as the SDK's serializer does.
    expect(Buffer.from(encodeSpans([own]))).toEqual(
      Buffer.from(ProtobufTraceSerializer.serializeRequest([own])!),
    );
  });
});

describe('RequestSpan times', () => {
  const ms = (t: HrTime) => t[0] * 1000 + t[1] / 1e6;

  it('reads the times it is given as the SDK span does', () => {
    const later = Date.now() + 5000;
    for (const given of [new Date(later), later, [Math.floor(later / 1000), 7] as HrTime]) {
      // Both spans start on Date.now(), in whole milliseconds: without the clock held still, the
      // two can start either side of a millisecond's edge and their durations differ by one.
      const held = vi.spyOn(Date, 'now').mockReturnValue(later - 5000);
      let spans: ReturnType<typeof pair>;
      try {
        spans = pair();
      } finally {
        held.mockRestore();
      }
      const { sdk, own } = spans;
      expect(own.startTime).toEqual((sdk as unknown as ReadableSpan).startTime);
      sdk.end(given);
      own.end(given);
      expect(own.endTime).toEqual((sdk as unknown as ReadableSpan).endTime);
      expect(own.duration).toEqual((sdk as unknown as ReadableSpan).duration);
    }
    // A performance.now() reading is corrected to the wall clock by the offset each span took at
    // its start (Date.now() is whole milliseconds): the two agree to within one.
    const { sdk, own } = pair();
    const reading = otperformance.now();
    sdk.end(reading);
    own.end(reading);
    expect(Math.abs(ms(own.endTime) - ms((sdk as unknown as ReadableSpan).endTime))).toBeLessThan(
      1.01,
    );
  });

  it('starts on the wall clock and measures on the monotonic one', async () => {
    const { sdk, own } = pair();
    const before = Date.now();
    expect(Math.abs(ms(own.startTime) - before)).toBeLessThan(50);
    await new Promise((resolve) => setTimeout(resolve, 20));
    sdk.end();
    own.end();
    const sdkSpan = sdk as unknown as ReadableSpan;
    expect(Math.abs(ms(own.endTime) - ms(sdkSpan.endTime))).toBeLessThan(5);
    expect(ms(own.duration)).toBeGreaterThanOrEqual(15);
    expect(Math.abs(ms(own.duration) - ms(sdkSpan.duration))).toBeLessThan(5);
    // An end before the start is corrected to a zero-length span, with a warning.
    const { own: early } = pair();
    const warnings = diagnostics(() => early.end([1, 0]));
    expect(early.endTime).toEqual(early.startTime);
    expect(early.duration).toEqual([0, 0]);
    expect(warnings.some((w) => w.includes('Inconsistent start and end time'))).toBe(true);
  });
});

describe('requestSpanSource', () => {
  it("gives none for a tracer without the SDK tracer's scope and limits", () => {
    const resource = resourceFromAttributes({});
    expect(requestSpanSource({}, resource, [])).toBeUndefined();
    expect(
      requestSpanSource({ instrumentationScope: { name: 'x' } }, resource, []),
    ).toBeUndefined();
    expect(
      requestSpanSource({ instrumentationScope: { name: 'x' }, _spanLimits: {} }, resource, []),
    ).toBeUndefined();
  });
});

describe('sampledChildSpan', () => {
  /** A context whose span is recording, with PARENT's ids and trace state and these flags. */
  function recordingParent(traceFlags: TraceFlags) {
    const span = trace.wrapSpanContext({ ...PARENT, traceFlags });
    span.isRecording = () => true;
    return trace.setSpan(ROOT_CONTEXT, span);
  }

  it('makes a child only of a sampled parent, with its trace id and trace state', () => {
    const resource = resourceFromAttributes({ 'service.name': 'request-span-test' });
    const tracer = new BasicTracerProvider({ resource }).getTracer('hanger');
    const source = requestSpanSource(tracer, resource, [])!;
    const ids = { generateSpanId: () => SPAN_ID };
    const under = (flags: TraceFlags) =>
      sampledChildSpan(source, ids, recordingParent(flags), 'q', SpanKind.CLIENT, {});
    // Recording but not sampled (a RECORD_ONLY decision): the sampler's to decide.
    expect(under(TraceFlags.NONE)).toBeUndefined();
    const child = under(TraceFlags.SAMPLED)!;
    expect(child).toBeInstanceOf(RequestSpan);
    expect(child.spanContext()).toStrictEqual({
      traceId: PARENT.traceId,
      spanId: SPAN_ID,
      traceFlags: TraceFlags.SAMPLED,
      traceState: PARENT.traceState,
    });
    expect(child.parentSpanContext?.spanId).toBe(PARENT.spanId);
  });
});

describe('startServerSpan with the sampler from the environment', () => {
  const saved = { ...process.env };
  afterEach(async () => {
    await stopTracing();
    process.env = { ...saved };
  });

  async function start(sampler: string, env: Record<string, string> = {}, own?: Sampler) {
    process.env.OTEL_TRACES_SAMPLER = sampler;
    delete process.env.OTEL_TRACES_SAMPLER_ARG;
    Object.assign(process.env, env);
    const exporter = new InMemorySpanExporter();
    await startTracing({
      serviceName: 'request-span-test',
      spanProcessors: [new SimpleSpanProcessor(exporter)],
      ...(own ? { sampler: own } : {}),
    });
    return exporter;
  }

  it.each(['always_on', 'traceidratio', 'parentbased_traceidratio'])(
    'with %s (ratio 1): a RequestSpan whose SDK-made children are sampled and exported',
    async (sampler) => {
      const exporter = await start(sampler, { OTEL_TRACES_SAMPLER_ARG: '1' });
      const started = startServerSpan({}, 'POST', '/api/v1/items')!;
      expect(started.span).toBeInstanceOf(RequestSpan);
      const child = getTracer()!.startSpan('child', {}, started.context);
      expect(child.isRecording()).toBe(true);
      child.end();
      started.span.end();
      const names = exporter.getFinishedSpans().map((span) => span.name);
      expect(names).toEqual(['child', 'POST /api/v1/items']);
    },
  );

  it("writes a RequestSpan's ids, and its query child's, on the log lines written in them", async () => {
    await start('parentbased_always_on');
    const fields = () => JSON.parse(`{"level":30${traceLogText()}}`) as Record<string, unknown>;
    const started = startServerSpan({}, 'GET', '/api/v1/items/:id')!;
    expect(started.span).toBeInstanceOf(RequestSpan);
    const query = startChildSpan(getTracer()!, started.context, 'SELECT', SpanKind.CLIENT, {});
    expect(query).toBeInstanceOf(RequestSpan);
    for (const span of [started.span, query, started.span]) {
      const { traceId, spanId } = span.spanContext();
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(context.with(trace.setSpan(ROOT_CONTEXT, span), fields)).toMatchObject({
        traceId,
        spanId,
      });
    }
    expect(query.spanContext().traceId).toBe(started.span.spanContext().traceId);
    query.end();
    started.span.end();
  });

  it('applies the span limits set in the environment, as the SDK spans do', async () => {
    const exporter = await start('always_on', {
      OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '2',
      OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '4',
    });
    const started = startServerSpan({}, 'GET', '/api/v1/items/:id')!;
    expect(started.span).toBeInstanceOf(RequestSpan);
    started.span.setAttributes({ a: 'abcdefgh', b: 2, c: 3 });
    const child = getTracer()!.startSpan('child', {}, started.context);
    child.setAttributes({ a: 'abcdefgh', b: 2, c: 3 });
    child.end();
    started.span.end();
    const [childSpan, requestSpan] = exporter.getFinishedSpans();
    expect(childSpan!.attributes).toEqual({ a: 'abcd', b: 2 });
    expect(childSpan!.droppedAttributesCount).toBe(1);
    // The request's span holds its sampling probability first (ADR 0015), which counts too.
    expect(requestSpan!.attributes).toEqual({ 'hanger.sampling.probability': 1, a: 'abcd' });
    expect(requestSpan!.droppedAttributesCount).toBe(2);
  });

  it('leaves the span to the SDK when a test brings its own sampler', async () => {
    const exporter = await start('always_on', {}, new AlwaysOnSampler());
    const started = startServerSpan({}, 'GET', '/api/v1/items/:id')!;
    expect(started.span).not.toBeInstanceOf(RequestSpan);
    started.span.end();
    expect(exporter.getFinishedSpans()).toHaveLength(1);
  });

  it('gives a request that starts a trace a RequestSpan, exported as the SDK would write it', async () => {
    const exporter = await start('parentbased_always_on');
    const started = startServerSpan({}, 'GET', '/api/v1/items/:id')!;
    expect(started.span).toBeInstanceOf(RequestSpan);
    expect(trace.getSpan(started.context)).toBe(started.span);
    started.span.setAttributes({
      'http.route': '/api/v1/items/:id',
      'url.path': '/api/v1/items/1',
    });
    // A child made by the SDK (a query, a Redis call) joins it, under the same resource and scope.
    const child = getTracer()!.startSpan('SELECT', { kind: SpanKind.CLIENT }, started.context);
    child.end();
    started.span.setAttribute('http.response.status_code', 200);
    started.span.end();

    const [childSpan, requestSpan] = exporter.getFinishedSpans();
    expect(requestSpan).toBe(started.span);
    expect(requestSpan!.name).toBe('GET /api/v1/items/:id');
    expect(requestSpan!.kind).toBe(SpanKind.SERVER);
    expect(requestSpan!.spanContext().traceFlags).toBe(TraceFlags.SAMPLED);
    expect(requestSpan!.attributes).toEqual({
      // Set first, when the span is made: the probability this root was sampled with (ADR 0015).
      'hanger.sampling.probability': 1,
      'http.route': '/api/v1/items/:id',
      'url.path': '/api/v1/items/1',
      'http.response.status_code': 200,
    });
    expect(childSpan!.parentSpanContext?.spanId).toBe(requestSpan!.spanContext().spanId);
    expect(childSpan!.spanContext().traceId).toBe(requestSpan!.spanContext().traceId);
    expect(requestSpan!.resource).toBe(childSpan!.resource);
    expect(requestSpan!.instrumentationScope).toBe(childSpan!.instrumentationScope);
    // One resource, one scope, two spans: our writer's bytes are the SDK serializer's.
    const spans = exporter.getFinishedSpans();
    expect(Buffer.from(encodeSpans(spans))).toEqual(
      Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!),
    );
  });

  it("makes a sampled request's child spans RequestSpans too, exported as the SDK would write them", async () => {
    const exporter = await start('parentbased_traceidratio', { OTEL_TRACES_SAMPLER_ARG: '1' });
    const started = startServerSpan({}, 'GET', '/api/v1/items/:id')!;
    const attributes = { 'db.system.name': 'postgresql', 'db.query.text': 'SELECT 1' };
    const query = startChildSpan(
      getTracer()!,
      started.context,
      'SELECT',
      SpanKind.CLIENT,
      attributes,
    );
    expect(query).toBeInstanceOf(RequestSpan);
    // The SDK's own, for comparison.
    const sdkMade = getTracer()!.startSpan(
      'SELECT',
      { kind: SpanKind.CLIENT, attributes },
      started.context,
    );
    expect(sdkMade).not.toBeInstanceOf(RequestSpan);
    for (const span of [query, sdkMade]) span.end();
    started.span.end();
    const [own, sdk, request] = exporter.getFinishedSpans();
    expect(own).toBe(query);
    expect(request).toBe(started.span);
    expect(own!.kind).toBe(SpanKind.CLIENT);
    expect(own!.parentSpanContext).toBe(request!.spanContext());
    expect(own!.spanContext().traceId).toBe(request!.spanContext().traceId);
    expect(own!.spanContext().spanId).not.toBe(request!.spanContext().spanId);
    expect(own!.spanContext().traceFlags).toBe(TraceFlags.SAMPLED);
    expect(sdk).toBe(sdkMade);
    expect(shown(query)).toEqual(shown(sdkMade));
    // The same bytes as the SDK's serializer writes for them.
    const spans = exporter.getFinishedSpans();
    expect(Buffer.from(encodeSpans(spans))).toEqual(
      Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!),
    );
  });

  it("carries a continued trace's state to the query spans under it", async () => {
    const exporter = await start('parentbased_always_off');
    const continued = startServerSpan(
      { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`, tracestate: 'vendor=value' },
      'GET',
      '/api/v1/items/:id',
      'continue',
    )!;
    // Sampled by its parent, though new traces would not be: its queries are sampled too.
    const query = startChildSpan(getTracer()!, continued.context, 'q', SpanKind.CLIENT, {});
    expect(query).toBeInstanceOf(RequestSpan);
    query.end();
    continued.span.end();
    const [own, request] = exporter.getFinishedSpans();
    expect(own!.spanContext().traceId).toBe(TRACE_ID);
    expect(own!.spanContext().traceState?.serialize()).toBe('vendor=value');
    expect(own!.parentSpanContext?.spanId).toBe(request!.spanContext().spanId);
  });

  it('leaves a child to the SDK where its sampler, not the parent, decides', async () => {
    await start('always_on');
    let started = startServerSpan({}, 'GET', '/api/v1/items/:id')!;
    // always_on is not parent-based: the sampler is asked (and samples it).
    const notParentBased = startChildSpan(getTracer()!, started.context, 'q', SpanKind.CLIENT, {});
    expect(notParentBased).not.toBeInstanceOf(RequestSpan);
    expect(notParentBased.isRecording()).toBe(true);
    await stopTracing();

    const exporter = await start('parentbased_always_on');
    started = startServerSpan({}, 'GET', '/api/v1/items/:id')!;
    const cases = {
      // another tracer than the one tracing started (a test's, or another scope)
      'another tracer': () =>
        startChildSpan(trace.getTracer('other'), started.context, 'q', SpanKind.CLIENT, {}),
      suppressed: () =>
        startChildSpan(getTracer()!, suppressTracing(started.context), 'q', SpanKind.CLIENT, {}),
      'an ended parent': () => {
        const ended = startServerSpan({}, 'GET', '/api/v1/items/:id')!;
        ended.span.end();
        return startChildSpan(getTracer()!, ended.context, 'q', SpanKind.CLIENT, {});
      },
      'an unsampled remote parent': () => {
        const continued = startServerSpan(
          { traceparent: `00-${TRACE_ID}-${SPAN_ID}-00` },
          'GET',
          '/api/v1/items/:id',
          'continue',
        )!;
        return startChildSpan(getTracer()!, continued.context, 'q', SpanKind.CLIENT, {});
      },
    };
    for (const [name, make] of Object.entries(cases)) {
      const span = make();
      expect(span, name).not.toBeInstanceOf(RequestSpan);
      span.end();
    }
    // Each made by the SDK as it decides: the other tracer's child and the ended parent's are
    // sampled (their parents were), the suppressed one and the unsampled one's are not recorded.
    expect(
      exporter.getFinishedSpans().map((span) => `${span.instrumentationScope.name} ${span.name}`),
    ).toEqual(['other q', 'hanger GET /api/v1/items/:id', 'hanger q']);
    await stopTracing();

    await start('parentbased_always_on', {}, new AlwaysOnSampler());
    started = startServerSpan({}, 'GET', '/api/v1/items/:id')!;
    const ownSampler = startChildSpan(getTracer()!, started.context, 'q', SpanKind.CLIENT, {});
    expect(ownSampler).not.toBeInstanceOf(RequestSpan);
    expect(ownSampler.isRecording()).toBe(true);
  });

  it('leaves a request that continues a trace to the SDK, and samples none at always_off', async () => {
    await start('parentbased_always_on');
    const continued = startServerSpan(
      { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` },
      'GET',
      '/api/v1/items/:id',
      'continue',
    )!;
    expect(continued.span).not.toBeInstanceOf(RequestSpan);
    expect(continued.span.spanContext().traceId).toBe(TRACE_ID);
    continued.span.end();
    await stopTracing();

    await start('parentbased_always_off');
    expect(startServerSpan({}, 'GET', '/api/v1/items/:id')).toBeUndefined();
  });
  describe('a request that brings a traceparent, linked (ADR 0016)', () => {
    const CALLER = { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`, tracestate: 'vendor=value' };
    /** What a span links to: each link's span context, its trace state as text. */
    const linked = (span: ReadableSpan) =>
      span.links.map(({ context: { traceState, ...ids } }) => ({
        ...ids,
        traceState: traceState?.serialize(),
      }));
    /** The caller's span, as sent. */
    const CALLER_SPAN = {
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
      traceState: 'vendor=value',
    };

    it('starts a trace of its own with a link to the caller: a RequestSpan, the bytes the SDK writes', async () => {
      const exporter = await start('parentbased_always_on');
      const started = startServerSpan(CALLER, 'GET', '/api/v1/items/:id', 'link')!;
      expect(started.span).toBeInstanceOf(RequestSpan);
      const query = startChildSpan(getTracer()!, started.context, 'q', SpanKind.CLIENT, {});
      query.end();
      started.span.end();
      const [child, request] = exporter.getFinishedSpans();
      expect(request).toBe(started.span);
      expect(request!.spanContext().traceId).not.toBe(TRACE_ID);
      expect(request!.spanContext().traceState).toBeUndefined();
      expect(request!.parentSpanContext).toBeUndefined();
      expect(linked(request!)).toEqual([CALLER_SPAN]);
      // Its children are in its trace, not the caller's, and carry no link of their own.
      expect(child!.spanContext().traceId).toBe(request!.spanContext().traceId);
      expect(child!.links).toEqual([]);
      const spans = exporter.getFinishedSpans();
      expect(Buffer.from(encodeSpans(spans))).toEqual(
        Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!),
      );
    });

    it("is sampled as a request without one: never at always_off, whatever the caller's flag", async () => {
      const exporter = await start('parentbased_always_off');
      expect(startServerSpan(CALLER, 'GET', '/api/v1/items/:id', 'link')).toBeUndefined();
      // The default is to link.
      expect(startServerSpan(CALLER, 'GET', '/api/v1/items/:id')).toBeUndefined();
      // Continued, the caller's flag would have sampled it.
      const continued = startServerSpan(CALLER, 'GET', '/api/v1/items/:id', 'continue')!;
      expect(continued.span.spanContext().traceId).toBe(TRACE_ID);
      continued.span.end();
      expect(exporter.getFinishedSpans().map((span) => span.spanContext().traceId)).toEqual([
        TRACE_ID,
      ]);
    });

    it('links the span the SDK makes, under a sampler of its own, which is asked with the link', async () => {
      const asked: unknown[] = [];
      const own: Sampler = {
        shouldSample: (parentContext, _traceId, _name, _kind, _attributes, links) => {
          asked.push({ parent: trace.getSpanContext(parentContext), links });
          return new AlwaysOnSampler().shouldSample();
        },
        toString: () => 'Recording',
      };
      const exporter = await start('parentbased_always_on', {}, own);
      const started = startServerSpan(CALLER, 'GET', '/api/v1/items/:id', 'link')!;
      expect(started.span).not.toBeInstanceOf(RequestSpan);
      started.span.end();
      const [request] = exporter.getFinishedSpans();
      expect(request!.spanContext().traceId).not.toBe(TRACE_ID);
      expect(request!.parentSpanContext).toBeUndefined();
      expect(linked(request!)).toEqual([CALLER_SPAN]);
      // Asked as a root, with the link, first by startServerSpan and again by the tracer.
      expect(asked).toHaveLength(2);
      for (const call of asked) {
        expect(call).toMatchObject({ parent: undefined, links: [expect.anything()] });
      }
    });

    it("links to a caller that did not sample: the caller's flag decides nothing either way", async () => {
      const exporter = await start('parentbased_always_on');
      const unsampledCaller = { traceparent: `00-${TRACE_ID}-${SPAN_ID}-00` };
      const started = startServerSpan(unsampledCaller, 'GET', '/api/v1/items/:id', 'link')!;
      expect(started.span).toBeInstanceOf(RequestSpan);
      expect(started.span.isRecording()).toBe(true);
      started.span.end();
      const [request] = exporter.getFinishedSpans();
      expect(request!.spanContext().traceId).not.toBe(TRACE_ID);
      expect(linked(request!)).toEqual([
        { ...CALLER_SPAN, traceFlags: TraceFlags.NONE, traceState: undefined },
      ]);
    });

    it('reads no header of a request it does not sample', async () => {
      await start('parentbased_always_off');
      const extract = vi.spyOn(propagation, 'extract');
      try {
        expect(startServerSpan(CALLER, 'GET', '/api/v1/items/:id', 'link')).toBeUndefined();
        expect(extract).not.toHaveBeenCalled();
      } finally {
        extract.mockRestore();
      }
    });

    // Empty; not W3C; two joined by Node from duplicate headers; all-zero ids; a tracestate alone.
    const NAMES_NO_SPAN: Record<string, string>[] = [
      { traceparent: '' },
      { traceparent: 'garbage' },
      { traceparent: `${CALLER.traceparent}, 00-${'1'.repeat(32)}-${'2'.repeat(16)}-01` },
      { traceparent: `00-${'0'.repeat(32)}-${SPAN_ID}-01` },
      { traceparent: `00-${TRACE_ID}-${'0'.repeat(16)}-01` },
      { tracestate: 'vendor=value' },
    ];

    it('links nothing for headers that name no valid span', async () => {
      const exporter = await start('parentbased_always_on');
      for (const headers of NAMES_NO_SPAN) {
        startServerSpan(headers, 'GET', '/api/v1/items/:id', 'link')!.span.end();
      }
      const spans = exporter.getFinishedSpans();
      expect(spans).toHaveLength(NAMES_NO_SPAN.length);
      for (const span of spans) {
        expect(span).toBeInstanceOf(RequestSpan);
        expect(span.links).toEqual([]);
        expect(span.parentSpanContext).toBeUndefined();
      }
    });

    it('continues nothing for headers that name no valid span: decided as requests without one', async () => {
      await start('parentbased_always_off');
      for (const headers of NAMES_NO_SPAN) {
        expect(startServerSpan(headers, 'GET', '/api/v1/items/:id', 'continue')).toBeUndefined();
      }
      await stopTracing();
      const exporter = await start('parentbased_always_on');
      for (const headers of NAMES_NO_SPAN) {
        startServerSpan(headers, 'GET', '/api/v1/items/:id', 'continue')!.span.end();
      }
      // Each decided as a new trace (RootDecider, which records the probability), not by the SDK.
      expect(exporter.getFinishedSpans()).toHaveLength(NAMES_NO_SPAN.length);
      for (const span of exporter.getFinishedSpans()) {
        expect(span).toBeInstanceOf(RequestSpan);
        expect(span.parentSpanContext).toBeUndefined();
        expect(span.attributes['hanger.sampling.probability']).toBe(1);
      }
    });
  });
});
