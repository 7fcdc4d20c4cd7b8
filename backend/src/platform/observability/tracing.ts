import {
  DiagLogLevel,
  INVALID_TRACEID,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  diag,
  propagation,
  trace,
  type Attributes,
  type Context,
  type ContextManager,
  type DiagLogger,
  type Span,
  type SpanContext,
  type Tracer,
  isSpanContextValid,
  isValidSpanId,
  isValidTraceId,
  type Link,
} from '@opentelemetry/api';
import type { Sampler, SamplingDecision, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Logger } from 'pino';
import type { OtlpProtocol } from './otlp-export';
import {
  ContinuationContextManager,
  carryContextIntoThen,
  continuationDataWorks,
  loadContinuationData,
} from './continuation-context';
import { PromiseContextManager } from './promise-context';
import type { RequestSpan, RequestSpanSource, sampledChildSpan } from './request-span';
import { DecidedSampler, RootDecider, samplerFromEnv } from './sampling';

/**
 * OpenTelemetry tracing. Off by default and then free: nothing from the SDK is even loaded, the
 * HTTP hook is not installed, and the helpers below return at their first line. `startTracing`
 * (called by preload.ts before the app's modules load, or by a test) turns it on for the process.
 */
let tracer: Tracer | undefined;
let shutdownFn: (() => Promise<void>) | undefined;
/** The provider's sampler, asked before a request's span is made (`startServerSpan`). */
let sampler: Sampler | undefined;
let notRecord: SamplingDecision | undefined;
let ids: RootDecider | undefined;
/** Whether `ids` decides new traces by itself (the sampler came from the environment). */
let rootsDecidedByIds = false;
/**
 * How a sampled request that starts a trace gets its span, and a sampled span's queries theirs
 * (request-span.ts, ADR 0013).
 */
let requestSpans:
  | {
      Span: typeof RequestSpan;
      source: RequestSpanSource;
      /** `sampledChildSpan`, when the sampler is the environment's and parent-based; else unset. */
      child?: typeof sampledChildSpan;
    }
  | undefined;
/** The context manager startTracing registered, what it is, and how to undo its patches. */
let chosen: ChosenContext | undefined;
/**
 * What carries the active context through promises: V8's continuation-preserved embedder data
 * through the native addon (continuation-context.ts, ADR 0012), or V8's promise hooks
 * (promise-context.ts, ADR 0007). `auto` takes the first where the addon was built and works.
 */
export type ContextCarrier = 'continuation-data' | 'promise-hooks';

interface ChosenContext {
  manager: ContextManager;
  kind: ContextCarrier;
  /** Undoes `carryContextIntoThen` on drizzle's query builders. */
  undo: () => void;
}

export interface TracingOptions {
  serviceName: string;
  /** `otlp` (configured by the standard OTEL_EXPORTER_OTLP_* variables) or `console`. */
  exporter?: 'otlp' | 'console';
  /** The OTLP/HTTP body format (default http/protobuf; config: OTEL_EXPORTER_OTLP_PROTOCOL). */
  protocol?: OtlpProtocol;
  /** Replaces the exporter (tests pass a SimpleSpanProcessor over an InMemorySpanExporter). */
  spanProcessors?: SpanProcessor[];
  /** Replaces the sampler OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG describe (tests). */
  sampler?: Sampler;
  /** Where the SDK's own warnings and errors go (a failed export, say); unset, nowhere. */
  log?: DiagSink;
  /** What carries the active context (default `auto`; config: TRACE_CONTEXT). */
  context?: ContextCarrier | 'auto';
  /**
   * At most how many consecutive new traces share one sampling decision (`RootDecider`; default
   * 1, each its own; config: TRACE_SAMPLE_BLOCK). Only with the environment's sampler.
   */
  sampleBlock?: number;
  /**
   * At most how many new traces a second this process samples, on average (`RootDecider`; default
   * 0, no limit; config: TRACE_SAMPLE_MAX_PER_SECOND, ADR 0015). Only with the environment's sampler.
   */
  maxSampledPerSecond?: number;
}

/** Restores the SDK's own global error handler (stopTracing). */
let resetErrorHandler: (() => void) | undefined;

/** An SDK error (an Error, or whatever it was handed) as log fields. */
const errorFields = (error: unknown) =>
  error instanceof Error ? { err: error } : { detail: String(error) };

/** The two levels of a logger the SDK's diagnostics are written at. */
export type DiagSink = Pick<Logger, 'warn' | 'error'>;

/**
 * The OpenTelemetry diagnostic logger, writing warnings and errors to the application's log (the
 * first Error among the arguments as `err`); the SDK's info, debug and verbose chatter is dropped.
 */
export function diagLogger(log: DiagSink): DiagLogger {
  const write =
    (level: 'warn' | 'error') =>
    (message: string, ...args: unknown[]) => {
      const err = args.find((arg) => arg instanceof Error);
      log[level](err ? { err } : {}, `opentelemetry: ${message}`);
    };
  const drop = () => {};
  return { error: write('error'), warn: write('warn'), info: drop, debug: drop, verbose: drop };
}

export function getTracer(): Tracer | undefined {
  return tracer;
}

/** What carries the active context while tracing is on; undefined when it is off. */
export function contextCarrier(): ContextCarrier | undefined {
  return chosen?.kind;
}

/**
 * The active context without the API's global lookup (`traceLogText` asks on every line); the API's
 * when tracing was not started here (a test registering a manager of its own).
 */
export function activeContext(): Context {
  return chosen ? chosen.manager.active() : context.active();
}

/**
 * The active context when its span records (a sampled request or job); otherwise undefined. What
 * the client spans (database, Redis, S3) ask before making one: outside it they make none.
 */
export function recordingContext(): Context | undefined {
  const active = activeContext();
  if (active === ROOT_CONTEXT || trace.getSpan(active)?.isRecording() !== true) return undefined;
  return active;
}

/**
 * The context manager `choice` asks for. `continuation-data` where the addon is missing or does not
 * work is an error; `auto` falls back to promise hooks and says why. With continuation data, the
 * thenables the application awaits in traced code carry it into their `then`: drizzle's query
 * builders (QueryPromise, and PgSelectBase, onto which drizzle copies QueryPromise's methods when
 * pg-core loads, so whichever of the two loaded first). Other thenables would need the same; pg,
 * ioredis, BullMQ and the AWS SDK return native promises.
 */
async function createContextManager(
  choice: ContextCarrier | 'auto',
  log: DiagSink | undefined,
): Promise<ChosenContext> {
  if (choice !== 'promise-hooks') {
    const loaded = loadContinuationData();
    const problem =
      'problem' in loaded
        ? loaded.problem
        : !(await continuationDataWorks(loaded.data))
          ? `this V8 (${process.versions.v8}) does not carry continuation-preserved embedder data`
          : undefined;
    if (!problem && 'data' in loaded) {
      const [{ QueryPromise }, { PgSelectBase }] = await Promise.all([
        import('drizzle-orm'),
        import('drizzle-orm/pg-core'),
      ]);
      const undos = [QueryPromise.prototype, PgSelectBase.prototype].map((prototype) =>
        carryContextIntoThen(prototype, loaded.data),
      );
      return {
        manager: new ContinuationContextManager(loaded.data),
        kind: 'continuation-data',
        undo: () => undos.forEach((undo) => undo()),
      };
    }
    if (choice === 'continuation-data')
      throw new Error(`TRACE_CONTEXT=continuation-data: ${problem}`);
    log?.warn(
      { problem },
      'tracing: trace context on promise hooks, which slow every promise of the process',
    );
  }
  return { manager: new PromiseContextManager(), kind: 'promise-hooks', undo: () => {} };
}

/** A start under way: a second call waits for it instead of starting another provider. */
let starting: Promise<void> | undefined;

export function startTracing(options: TracingOptions): Promise<void> {
  if (tracer) return Promise.resolve();
  starting ??= start(options).finally(() => {
    starting = undefined;
  });
  return starting;
}

async function start(options: TracingOptions): Promise<void> {
  // First, so that a refusal (TRACE_CONTEXT=continuation-data without the addon) leaves nothing
  // started behind it.
  const choice = await createContextManager(options.context ?? 'auto', options.log);
  chosen = choice;
  try {
    await startProvider(options, choice.manager);
  } catch (err) {
    chosen = undefined;
    choice.undo();
    throw err;
  }
}

async function startProvider(options: TracingOptions, contextManagerToRegister: ContextManager) {
  const [
    { NodeTracerProvider },
    base,
    { resourceFromAttributes },
    semconv,
    requestSpan,
    { Redis },
    { traceRedisCommands },
  ] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/semantic-conventions'),
    import('./request-span'),
    import('ioredis'),
    import('./redis'),
  ]);
  let spanProcessors = options.spanProcessors;
  if (!spanProcessors) {
    if (options.exporter === 'console') {
      spanProcessors = [new base.SimpleSpanProcessor(new base.ConsoleSpanExporter())];
    } else {
      // OTLP/HTTP, protobuf or JSON, as the SDK's exporters, with the requests sent from a worker
      // thread (otlp-export.ts, ADR 0008). Protobuf spans are written as they end, and batched as
      // bytes (otlp-batch.ts, ADR 0010).
      const [{ createOtlpTraceExporter }, { EncodingSpanProcessor }] = await Promise.all([
        import('./otlp-export'),
        import('./otlp-batch'),
      ]);
      const protocol = options.protocol ?? 'http/protobuf';
      const exporter = createOtlpTraceExporter(protocol);
      spanProcessors = [
        protocol === 'http/protobuf'
          ? new EncodingSpanProcessor(exporter)
          : new base.BatchSpanProcessor(exporter),
      ];
    }
  }
  const fromEnv = samplerFromEnv(base, process.env);
  sampler = options.sampler ?? fromEnv.sampler;
  rootsDecidedByIds = options.sampler === undefined;
  notRecord = base.SamplingDecision.NOT_RECORD;
  ids = new RootDecider(fromEnv.rootBound, {
    blockSize: options.sampleBlock,
    maxPerSecond: options.maxSampledPerSecond,
  });
  const resource = resourceFromAttributes({ [semconv.ATTR_SERVICE_NAME]: options.serviceName });
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors,
    sampler:
      options.sampler ?? new DecidedSampler(fromEnv, ids, base.SamplingDecision.RECORD_AND_SAMPLED),
    idGenerator: ids,
  });
  if (options.log) {
    // A failed export, a worker that stopped: visible, as the rest of the process's problems are.
    // Failed exports reach the SDK's global error handler; its default writes them to diag as a
    // JSON string, without the Error.
    const log = options.log;
    const core = await import('@opentelemetry/core');
    core.setGlobalErrorHandler((error) => log.error(errorFields(error), 'opentelemetry: error'));
    resetErrorHandler = () => core.setGlobalErrorHandler(core.loggingErrorHandler());
    diag.setLogger(diagLogger(log), { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  }
  // The context manager startTracing chose and the W3C propagator.
  provider.register({ contextManager: contextManagerToRegister });

  tracer = provider.getTracer('hanger');
  // The tracer's own resource, scope and limits: the protobuf writer groups spans by identity.
  const source = requestSpan.requestSpanSource(tracer, resource, spanProcessors);
  if (source) {
    requestSpans = {
      Span: requestSpan.RequestSpan,
      source,
      // Only the environment's parent-based samplers say that a sampled local parent's children
      // are sampled without asking (DecidedSampler); a test's own sampler is always asked.
      ...(rootsDecidedByIds && fromEnv.parentBased ? { child: requestSpan.sampledChildSpan } : {}),
    };
  } else
    options.log?.warn('tracing: this SDK tracer lacks a scope or limits; the SDK makes every span');
  // Last, once nothing can fail: Redis commands by a wrapper on ioredis's class (redis.ts). The
  // database's queries and S3's requests are traced where their clients are made (db.ts,
  // storage.ts).
  const untraceRedis = traceRedisCommands(Redis, tracer);
  shutdownFn = () => {
    untraceRedis();
    return provider.shutdown();
  };
}

/** Flushes and stops tracing (graceful shutdown, end of a test). */
export async function stopTracing(): Promise<void> {
  const stop = shutdownFn;
  tracer = undefined;
  shutdownFn = undefined;
  sampler = undefined;
  notRecord = undefined;
  ids = undefined;
  rootsDecidedByIds = false;
  requestSpans = undefined;
  chosen?.undo();
  chosen = undefined;
  await stop?.();
  trace.disable();
  context.disable();
  propagation.disable();
  diag.disable();
  resetErrorHandler?.();
  resetErrorHandler = undefined;
}

/**
 * Inside a trace, the active span's trace and span ids as raw JSON text for a log line
 * (`,"traceId":"…","spanId":"…"`); outside one (tracing off, or an unsampled request), nothing.
 * The logger's `timestamp` function puts it after pino's time (logging/logger.ts), and pino joins
 * that text into every line after its level.
 *
 * Why not a mixin, as pino offers for fields of its own: a mixin's fields are an object merged
 * into the line's, which pino then walks key by key, escaping each key and value. On a sampled
 * request's line that cost ~9.7k instructions, nearly a fifth of what sampling the request cost
 * (callgrind by function, docs/benchmarks.md, session 22); written here, the two ids are text
 * joined once per span. The ids go in unescaped only when they are known to be hex: a
 * RequestSpan's (see below), and any other span's once the API's isValidTraceId/isValidSpanId
 * find them hex of the right length; other ids are written through JSON.stringify. A line's own
 * `traceId` or `spanId` field, or one bound on a child logger, comes after these: the key is then
 * written twice, and the later (the line's or the binding's) wins when the line is parsed. (With
 * the mixin, the line's own fields won over the mixin's and the mixin's over a child's bindings.)
 * Nothing in Hanger logs or binds either key.
 */
export function traceLogText(): string {
  if (!tracer) return '';
  const active = activeContext();
  if (active === ROOT_CONTEXT) return '';
  const span = trace.getSpan(active);
  const ctx = span?.spanContext();
  // No ids for a suppressed span (the exporter's own calls): its ids are the invalid ones.
  if (!ctx || ctx.traceId === INVALID_TRACEID) return '';
  if (ctx !== lastLogged) {
    lastLogged = ctx;
    // A RequestSpan's ids are hex, safe in JSON as they are: its own (RootDecider), or its sampled
    // parent's trace id, which the SDK checked. Checking them was ~1.7k instructions a sampled
    // request (two regular expressions).
    lastLoggedIds =
      requestSpans && span instanceof requestSpans.Span
        ? `,"traceId":"${ctx.traceId}","spanId":"${ctx.spanId}"`
        : `,"traceId":${jsonId(ctx.traceId, isValidTraceId)},"spanId":${jsonId(ctx.spanId, isValidSpanId)}`;
  }
  return lastLoggedIds;
}

/** The span context whose ids `traceLogText` last wrote, and them as JSON text. */
let lastLogged: SpanContext | undefined;
let lastLoggedIds = '';

/**
 * An id as a JSON string: quoted as it is when the API's check finds it valid (hex digits of the
 * right length, which need no escaping), else escaped.
 */
function jsonId(id: string, valid: (id: string) => boolean): string {
  return valid(id) ? `"${id}"` : JSON.stringify(id);
}

/** The W3C traceparent of the active span, to carry a trace onto the queue; undefined when off. */
export function currentTraceparent(): string | undefined {
  if (!tracer) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/**
 * On the span of a request that started a trace here: the probability it was sampled with (the
 * ratio's, or lower under TRACE_SAMPLE_MAX_PER_SECOND), so that a trace backend can count each
 * sampled trace as 1/probability of them (ADR 0015).
 */
export const ATTR_SAMPLING_PROBABILITY = 'hanger.sampling.probability';

/**
 * What a request's W3C `traceparent` (and `tracestate`) does (ADR 0016; config:
 * TRACE_INBOUND_CONTEXT). `link`: nothing to the decision, since any client can send one; a
 * sampled request's span links to the caller's span. `continue`: the caller's trace goes on here.
 */
export type InboundContext = 'link' | 'continue';

/**
 * The SERVER span of a request, or undefined when tracing is off or the request is not sampled.
 *
 * With `inbound` at `continue`, a request whose `traceparent` names a valid span continues that
 * trace and always gets a span (non-recording when the caller did not sample), so the caller's
 * decision travels on to the jobs it enqueues. Any other request starts a trace, decided before
 * anything is made: an unsampled request gets nothing at all (no span, no context, no trace id in
 * its logs; its request id still ties its lines together), whatever `traceparent` it brought.
 * Making a span only to drop it cost about a seventh of a small request's throughput
 * (docs/benchmarks.md). A sampled one whose `traceparent` names a valid span gets a link to it
 * (`link`, ADR 0016).
 *
 * With the environment's sampler the decision is one random word, drawn for each request or for a
 * block of consecutive ones (`RootDecider`, sampling.ts; TRACE_SAMPLE_BLOCK, and the limit of
 * TRACE_SAMPLE_MAX_PER_SECOND), and the header is read only once the request is sampled. With
 * another sampler (tests) the trace id is drawn and the sampler asked, with the link. Either way
 * the span is then made with that trace id: the provider's sampler (`DecidedSampler`) knows the
 * root was decided, and a test's sampler, asked again, decides the same.
 */
export function startServerSpan(
  headers: Record<string, unknown>,
  method: string,
  route: string,
  inbound: InboundContext = 'link',
): { span: Span; context: Context } | undefined {
  if (!tracer || !sampler || !ids) return undefined;
  const traceparent = headers.traceparent !== undefined;
  // A header that names no valid span continues nothing: such a request starts a trace, decided
  // as any other (else the SDK's sampler would decide it, past the blocks and the limit).
  const caller = traceparent && inbound === 'continue' ? callerContext(headers) : undefined;
  if (caller) {
    const span = tracer.startSpan(`${method} ${route}`, { kind: SpanKind.SERVER }, caller);
    return { span, context: trace.setSpan(caller, span) };
  }
  if (rootsDecidedByIds) {
    if (!ids.sampleRoot()) return undefined;
    const start = {
      attributes: { [ATTR_SAMPLING_PROBABILITY]: ids.probability },
      links: traceparent ? callerLinks(headers) : undefined,
    };
    // Sampled, as the provider's sampler would say again (DecidedSampler): the lighter span.
    const span = requestSpans
      ? new requestSpans.Span(
          `${method} ${route}`,
          ids.generateTraceId(),
          ids.generateSpanId(),
          requestSpans.source,
          ROOT_CONTEXT,
          start,
        )
      : tracer.startSpan(`${method} ${route}`, { kind: SpanKind.SERVER, ...start }, ROOT_CONTEXT);
    return { span, context: trace.setSpan(ROOT_CONTEXT, span) };
  }
  const links = traceparent ? callerLinks(headers) : undefined;
  const traceId = ids.generateTraceId();
  const { decision } = sampler.shouldSample(
    ROOT_CONTEXT,
    traceId,
    `${method} ${route}`,
    SpanKind.SERVER,
    NO_ATTRIBUTES,
    links ?? [],
  );
  if (decision === notRecord) return undefined;
  ids.preset(traceId);
  const span = tracer.startSpan(
    `${method} ${route}`,
    { kind: SpanKind.SERVER, links },
    ROOT_CONTEXT,
  );
  return { span, context: trace.setSpan(ROOT_CONTEXT, span) };
}

/** The context of the span a request's `traceparent` (and `tracestate`) names, if valid. */
function callerContext(headers: Record<string, unknown>): Context | undefined {
  const extracted = propagation.extract(ROOT_CONTEXT, headers);
  const caller = trace.getSpanContext(extracted);
  return caller && isSpanContextValid(caller) ? extracted : undefined;
}

/** A link to the span a request's `traceparent` names, if valid (ADR 0016). */
function callerLinks(headers: Record<string, unknown>): Link[] | undefined {
  const caller = callerContext(headers);
  return caller && [{ context: trace.getSpanContext(caller)! }];
}

const NO_ATTRIBUTES = Object.freeze({});

/**
 * `from.startSpan(name, { kind, attributes }, parent)`, made lighter where the answer is known: a
 * child of a sampled span of this process, under the environment's parent-based sampler, is a
 * RequestSpan (`sampledChildSpan`) when `from` is the tracer tracing started. Everything else is
 * the tracer's to make (another tracer, as a test's, included).
 */
export function startChildSpan(
  from: Tracer,
  parent: Context,
  name: string,
  kind: SpanKind,
  attributes: Attributes,
): Span {
  const made =
    from === tracer && requestSpans?.child && ids
      ? requestSpans.child(requestSpans.source, ids, parent, name, kind, attributes)
      : undefined;
  return made ?? from.startSpan(name, { kind, attributes }, parent);
}

/**
 * Runs a job inside a CONSUMER span that continues the trace of the request that enqueued it
 * (`traceparent` from the JobEnvelope, or the outbox row after a relay).
 */
export async function runInJobSpan<T>(
  traceparent: string | undefined,
  attributes: { queue: string; job: string; jobId: string; attempt: number },
  fn: () => Promise<T>,
): Promise<T> {
  if (!tracer) return fn();
  const parent = traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
  const span: Span = tracer.startSpan(
    `job ${attributes.job}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'hanger',
        'messaging.destination.name': attributes.queue,
        'messaging.operation.type': 'process',
        'messaging.message.id': attributes.jobId,
        'hanger.job.name': attributes.job,
        'hanger.job.attempt': attributes.attempt,
      },
    },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), fn);
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw err;
  } finally {
    span.end();
  }
}
