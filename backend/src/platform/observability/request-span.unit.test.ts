import {
  DiagLogLevel,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  diag,
  trace,
  type Attributes,
  type HrTime,
  type Span,
} from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeSpans } from './otlp-protobuf';
import { RequestSpan, SPAN_LIMITS } from './request-span';
import { getTracer, startServerSpan, startTracing, stopTracing } from './tracing';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';

/** What a span processor is told, in order. */
function recordingProcessor(calls: string[]): SpanProcessor {
  return {
    onStart: (span) => calls.push(`start ${(span as unknown as ReadableSpan).name}`),
    onEnding: (span) => calls.push(`ending ${span.name} ended=${String(span.ended)}`),
    onEnd: (span) => calls.push(`end ${span.name} ended=${String(span.ended)}`),
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
}

/** An SDK span and a request span with the same ids, resource and scope, and their processors' calls. */
function pair() {
  const resource = resourceFromAttributes({ 'service.name': 'request-span-test' });
  const sdkCalls: string[] = [];
  const ownCalls: string[] = [];
  const provider = new BasicTracerProvider({
    resource,
    spanLimits: SPAN_LIMITS,
    spanProcessors: [recordingProcessor(sdkCalls)],
    idGenerator: { generateTraceId: () => TRACE_ID, generateSpanId: () => SPAN_ID },
  });
  const tracer = provider.getTracer('hanger') as ReturnType<typeof provider.getTracer> & {
    instrumentationScope: ReadableSpan['instrumentationScope'];
  };
  const sdk = tracer.startSpan('GET /items/:id', { kind: SpanKind.SERVER }, ROOT_CONTEXT);
  const own = new RequestSpan(
    'GET /items/:id',
    TRACE_ID,
    SPAN_ID,
    { resource, scope: tracer.instrumentationScope, processors: [recordingProcessor(ownCalls)] },
    ROOT_CONTEXT,
  );
  return { sdk, own, sdkCalls, ownCalls };
}

/** Everything a span shows its exporters, but its clock readings. */
function shown(span: Span) {
  const s = span as unknown as ReadableSpan;
  return {
    name: s.name,
    kind: s.kind,
    context: s.spanContext(),
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

const at: HrTime = [1_700_000_000, 250_000_000];
/** One error for both spans: its stack names the line that made it. */
const BOOM = Object.assign(new Error('boom'), { code: 'E_BOOM' });

/** Operations a request's span may see, each applied to both spans. */
const SCENARIOS: Record<string, (span: Span) => void> = {
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
  'attributes past the count limit': (span) => {
    for (let i = 0; i < SPAN_LIMITS.attributeCountLimit + 3; i++) span.setAttribute(`a${i}`, i);
    span.setAttribute('a0', 'overwritten at the limit');
  },
  'status rules': (span) => {
    span.setStatus({ code: SpanStatusCode.UNSET });
    span.setStatus({ code: SpanStatusCode.ERROR, message: 42 as unknown as string });
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
    span.setStatus({ code: SpanStatusCode.OK, message: 'ignored on OK' });
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'OK stays' });
  },
  'events and their times': (span) => {
    span.addEvent('plain');
    span.addEvent('with attributes', { n: 1, bad: { x: 1 } as unknown as string });
    span.addEvent('at a date', new Date(1_700_000_000_123));
    span.addEvent('at an hrtime', { k: 'v' }, at);
    span.addEvent('time first, then a time', at, [1_700_000_001, 0]);
    const many: Attributes = {};
    for (let i = 0; i < SPAN_LIMITS.attributePerEventCountLimit + 2; i++) many[`k${i}`] = i;
    span.addEvent('too many attributes', many);
  },
  'events past the count limit': (span) => {
    for (let i = 0; i < SPAN_LIMITS.eventCountLimit + 2; i++) span.addEvent(`e${i}`, at);
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
  'after the end': (span) => {
    span.end(at);
    span.setAttribute('late', 1);
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.addEvent('late', at);
    span.addLink({ context: span.spanContext() });
    span.updateName('late');
    span.end();
  },
};

describe('RequestSpan, against the SDK span it stands for', () => {
  it.each(Object.entries(SCENARIOS))('%s: the same span, calls and warnings', (_, apply) => {
    const { sdk, own, sdkCalls, ownCalls } = pair();
    const sdkDiag = diagnostics(() => apply(sdk));
    const ownDiag = diagnostics(() => apply(own));
    if (sdk.isRecording()) sdk.end(at);
    if (own.isRecording()) own.end(at);
    expect(shown(own)).toEqual(shown(sdk));
    expect(ownDiag).toEqual(sdkDiag);
    expect(ownCalls).toEqual(sdkCalls);
    const [sdkEvents, ownEvents] = [sdk, own].map((s) =>
      (s as unknown as ReadableSpan).events.map((e) => e.time),
    );
    // Events at given times carry them; the rest are read off the clock.
    expect(ownEvents!.filter((t) => t === at)).toHaveLength(
      sdkEvents!.filter((t) => t === at).length,
    );
    // Written as OTLP protobuf (ours and the SDK's writers agree), the two are the same bytes,
    // clock readings aside.
    const own2 = own as unknown as ReadableSpan;
    const sdk2 = sdk as unknown as ReadableSpan;
    const sameClock = (s: ReadableSpan) =>
      ({
        ...shown(s as unknown as Span),
        spanContext: () => s.spanContext(),
        parentSpanContext: s.parentSpanContext,
        startTime: at,
        endTime: at,
        duration: [0, 0],
        events: s.events.map((e) => ({ ...e, time: at })),
        droppedAttributesCount: s.droppedAttributesCount,
        droppedEventsCount: s.droppedEventsCount,
        droppedLinksCount: s.droppedLinksCount,
        resource: s.resource,
        instrumentationScope: s.instrumentationScope,
      }) as unknown as ReadableSpan;
    expect(Buffer.from(encodeSpans([sameClock(own2)]))).toEqual(
      Buffer.from(encodeSpans([sameClock(sdk2)])),
    );
  });

  it('reads its times as the SDK span does: wall clock start, monotonic duration', () => {
    const { own } = pair();
    const before = Date.now();
    const start = own.startTime[0] * 1000 + own.startTime[1] / 1e6;
    expect(Math.abs(start - before)).toBeLessThan(1000);
    own.end();
    const end = own.endTime[0] * 1000 + own.endTime[1] / 1e6;
    expect(end).toBeGreaterThanOrEqual(start);
    expect(own.duration[0] * 1e9 + own.duration[1]).toBe(
      (own.endTime[0] - own.startTime[0]) * 1e9 + (own.endTime[1] - own.startTime[1]),
    );
    // An end before the start is corrected to a zero-length span, with a warning.
    const { own: early } = pair();
    const warnings = diagnostics(() => early.end([1, 0]));
    expect(early.endTime).toEqual(early.startTime);
    expect(early.duration).toEqual([0, 0]);
    expect(warnings.some((w) => w.includes('Inconsistent start and end time'))).toBe(true);
  });
});

describe('startServerSpan with the sampler from the environment', () => {
  const saved = { ...process.env };
  afterEach(async () => {
    await stopTracing();
    process.env = { ...saved };
  });

  async function start(sampler: string) {
    process.env.OTEL_TRACES_SAMPLER = sampler;
    delete process.env.OTEL_TRACES_SAMPLER_ARG;
    const exporter = new InMemorySpanExporter();
    await startTracing({
      serviceName: 'request-span-test',
      spanProcessors: [new SimpleSpanProcessor(exporter)],
      instrument: false,
    });
    return exporter;
  }

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

  it('leaves a request that continues a trace to the SDK, and samples none at always_off', async () => {
    await start('parentbased_always_on');
    const continued = startServerSpan(
      { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` },
      'GET',
      '/api/v1/items/:id',
    )!;
    expect(continued.span).not.toBeInstanceOf(RequestSpan);
    expect(continued.span.spanContext().traceId).toBe(TRACE_ID);
    continued.span.end();
    await stopTracing();

    await start('parentbased_always_off');
    expect(startServerSpan({}, 'GET', '/api/v1/items/:id')).toBeUndefined();
  });
});
