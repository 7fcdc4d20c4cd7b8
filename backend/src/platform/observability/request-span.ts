import {
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  diag,
  trace,
  type Attributes,
  type AttributeValue,
  type Context,
  type Exception,
  type HrTime,
  type Link,
  type Span,
  type SpanContext,
  type SpanStatus,
  type TimeInput,
} from '@opentelemetry/api';
import {
  addHrTimes,
  hrTime,
  hrTimeDuration,
  isAttributeValue,
  isTimeInputHrTime,
  isTracingSuppressed,
  millisToHrTime,
  otperformance,
  sanitizeAttributes,
  type InstrumentationScope,
} from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type {
  ReadableSpan,
  SpanLimits,
  SpanProcessor,
  TimedEvent,
} from '@opentelemetry/sdk-trace-base';
import { isSampledLocalSpan } from './sampling';

/** What every request span of a provider shares: the tracer's own, so that both kinds agree. */
export interface RequestSpanSource {
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
  /**
   * The tracer's span limits, as the SDK resolved them (its defaults, the OTEL_SPAN_*_LIMIT and
   * OTEL_ATTRIBUTE_*_LIMIT variables, or the provider's options).
   */
  readonly limits: Required<SpanLimits>;
  /** The provider's span processors, each told of the span's start and end, as the SDK's span does. */
  readonly processors: readonly SpanProcessor[];
}

/**
 * The source of a provider's request spans, from its tracer (an SDK `Tracer`, whose scope and
 * resolved limits are fields the API does not declare); undefined if the tracer does not have
 * them, and the SDK then makes every span.
 */
export function requestSpanSource(
  tracer: object,
  resource: Resource,
  processors: readonly SpanProcessor[],
): RequestSpanSource | undefined {
  const { instrumentationScope: scope, _spanLimits: limits } = tracer as {
    instrumentationScope?: InstrumentationScope;
    _spanLimits?: SpanLimits;
  };
  if (!scope || typeof scope.name !== 'string' || !limits) return undefined;
  const keys = [
    'attributeCountLimit',
    'attributeValueLengthLimit',
    'eventCountLimit',
    'linkCountLimit',
    'attributePerEventCountLimit',
    'attributePerLinkCountLimit',
  ] as const;
  if (keys.some((key) => typeof limits[key] !== 'number')) return undefined;
  return {
    resource,
    scope,
    limits: Object.freeze({ ...(limits as Required<SpanLimits>) }),
    processors: Object.freeze([...processors]),
  };
}

/**
 * A span under the span in `parent`, as the SDK's tracer makes it under the environment's
 * parent-based samplers (ADR 0013), whose `localParentSampled` is always on: if that span is
 * recording and sampled, and tracing is not suppressed there, the child is sampled (a recording
 * span is this process's own, a local parent), and made here. Otherwise undefined: the tracer
 * makes it (a non-recording span, or a decision of the sampler's).
 *
 * Why: on the database route with every request sampled, query spans made here took 13k and 49k
 * fewer instructions per request than the SDK's tracer and span in two pairs of processes
 * (callgrind; docs/benchmarks.md, session 18), of the ~100k that sampling adds to the request. The
 * parent's ids are not checked as the tracer checks them (two regular expressions): a recording
 * span has its own provider's ids, which are valid.
 */
export function sampledChildSpan(
  source: RequestSpanSource,
  ids: { generateSpanId(): string },
  parent: Context,
  name: string,
  kind: SpanKind,
  attributes: Attributes,
): RequestSpan | undefined {
  if (isTracingSuppressed(parent)) return undefined;
  const parentSpan = trace.getSpan(parent);
  if (parentSpan === undefined || !isSampledLocalSpan(parentSpan)) return undefined;
  const parentContext = parentSpan.spanContext();
  return new RequestSpan(name, parentContext.traceId, ids.generateSpanId(), source, parent, {
    kind,
    parent: parentContext,
    attributes,
  });
}

/** What a RequestSpan starts with (its constructor). */
export interface SpanStart {
  kind?: SpanKind;
  parent?: SpanContext;
  attributes?: Attributes;
  links?: Link[];
}

/**
 * The SERVER span of a sampled request that starts its trace (`startServerSpan`, ADR 0013), and the
 * spans of its queries (`sampledChildSpan`): the SDK's span, for what a request's spans are, in a
 * class of its own.
 *
 * Why: a sampled request is one in ten, so the code only it runs is cold each time it runs (it
 * waits on memory where the other requests find their code in cache). On the ping route, a sampled
 * request cost ~2.4 times as much CPU at a 10 % sampler as at 100 %, and ~40 % less when the same
 * number of sampled requests came in runs of ten (docs/benchmarks.md, session 16). The SDK's span
 * goes through the tracer's start (context lookups, the sampler, a noop span-metrics call, links
 * and attributes sanitized, copied and merged), a constructor that reads both clocks, and a
 * processor fan-out; this does what the request's span needs in a few small functions: the
 * decision and ids are made (`RootDecider`), there is no sampler result to merge, and a request's
 * span has no parent (at most a link to the caller's span, ADR 0016).
 *
 * It behaves as the SDK's span (`SpanImpl` in @opentelemetry/sdk-trace 2.x) does, which
 * request-span.unit.test.ts checks operation by operation: the same attribute checks and limits
 * (the tracer's), status rules, events, links, exception events, times (start from the wall clock,
 * the rest from the monotonic clock), warnings, and the same ReadableSpan for the span processors,
 * so the exporters and tests see no difference. Not kept: the SDK's span-metrics callback, a no-op
 * without a meter provider for the SDK, which Hanger does not give it.
 */
export class RequestSpan implements Span, ReadableSpan {
  readonly kind: SpanKind;
  readonly parentSpanContext: SpanContext | undefined;
  readonly attributes: Attributes = {};
  readonly links: Link[] = [];
  readonly events: TimedEvent[] = [];
  readonly startTime: HrTime;
  endTime: HrTime = [0, 0];
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  #droppedAttributes = 0;
  #droppedEvents = 0;
  #droppedLinks = 0;
  #ended = false;
  #duration: HrTime = [-1, -1];
  #attributesCount = 0;
  readonly #context: SpanContext;
  readonly #processors: readonly SpanProcessor[];
  readonly #limits: Required<SpanLimits>;
  /** performance.now() at the start, and the wall clock's offset from it (as the SDK's span). */
  readonly #performanceStart: number;
  readonly #performanceOffset: number;

  /**
   * A request's SERVER span, or with `start.parent`, a span under a sampled span of this process
   * (a query's). `start`: its kind (SERVER unless given), its parent's context (whose trace id
   * `traceId` must be, and whose trace state it carries), and the links and attributes it starts
   * with, set before the processors hear of it, as the SDK's tracer sets them.
   */
  constructor(
    public name: string,
    traceId: string,
    spanId: string,
    source: RequestSpanSource,
    parentContext: Context,
    start?: SpanStart,
  ) {
    const now = Date.now();
    this.kind = start?.kind ?? SpanKind.SERVER;
    this.parentSpanContext = start?.parent;
    this.#context = {
      traceId,
      spanId,
      traceFlags: TraceFlags.SAMPLED,
      traceState: start?.parent?.traceState,
    };
    this.#performanceStart = otperformance.now();
    this.#performanceOffset = now - (this.#performanceStart + otperformance.timeOrigin);
    this.startTime = millisToHrTime(now);
    this.resource = source.resource;
    this.instrumentationScope = source.scope;
    this.#processors = source.processors;
    this.#limits = source.limits;
    // Links, then the attributes, sanitized first, as the tracer does: their warnings come before
    // any setAttribute's, and arrays are copied.
    const links = start?.links;
    if (links) for (let i = 0; i < links.length; i++) this.addLink(links[i]!);
    if (start?.attributes) this.setAttributes(sanitizeAttributes(start.attributes));
    // Indexed loops here and in `end`: for-of over the processors ran an array iterator, ~90
    // instructions a step (callgrind by function, session 22).
    const processors = this.#processors;
    for (let i = 0; i < processors.length; i++) processors[i]!.onStart(this, parentContext);
  }

  get duration(): HrTime {
    return this.#duration;
  }

  get ended(): boolean {
    return this.#ended;
  }

  get droppedAttributesCount(): number {
    return this.#droppedAttributes;
  }

  get droppedEventsCount(): number {
    return this.#droppedEvents;
  }

  get droppedLinksCount(): number {
    return this.#droppedLinks;
  }

  spanContext(): SpanContext {
    return this.#context;
  }

  isRecording(): boolean {
    return !this.#ended;
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (value == null || this.#isEnded()) return this;
    if (key.length === 0) {
      diag.warn(`Invalid attribute key: ${key}`);
      return this;
    }
    if (!isAttributeValue(value)) {
      diag.warn(`Invalid attribute value set for key: ${key}`);
      return this;
    }
    const isNewKey = !Object.prototype.hasOwnProperty.call(this.attributes, key);
    if (isNewKey && this.#attributesCount >= this.#limits.attributeCountLimit) {
      this.#droppedAttributes++;
      return this;
    }
    this.attributes[key] = this.#truncated(value);
    if (isNewKey) this.#attributesCount++;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes) {
      if (Object.prototype.hasOwnProperty.call(attributes, key)) {
        this.setAttribute(key, attributes[key]);
      }
    }
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.#isEnded()) return this;
    const { eventCountLimit } = this.#limits;
    if (eventCountLimit === 0) {
      diag.warn('No events allowed.');
      this.#droppedEvents++;
      return this;
    }
    if (this.events.length >= eventCountLimit) {
      if (this.#droppedEvents === 0) diag.debug('Dropping extra events.');
      this.events.shift();
      this.#droppedEvents++;
    }
    let given: Attributes | undefined;
    if (isTimeInput(attributesOrTime)) {
      if (!isTimeInput(time)) time = attributesOrTime;
    } else given = attributesOrTime;
    const { attributes, dropped } = this.#limited(
      sanitizeAttributes(given),
      this.#limits.attributePerEventCountLimit,
    );
    this.events.push({ name, attributes, time: this.#time(time), droppedAttributesCount: dropped });
    return this;
  }

  addLink(link: Link): this {
    if (this.#isEnded()) return this;
    const { linkCountLimit } = this.#limits;
    if (linkCountLimit === 0) {
      this.#droppedLinks++;
      return this;
    }
    if (this.links.length >= linkCountLimit) {
      if (this.#droppedLinks === 0) diag.debug('Dropping extra links.');
      this.links.shift();
      this.#droppedLinks++;
    }
    const { attributes, dropped, count } = this.#limited(
      sanitizeAttributes(link.attributes),
      this.#limits.attributePerLinkCountLimit,
    );
    const kept: Link = { context: link.context };
    if (count > 0) kept.attributes = attributes;
    if (dropped > 0) kept.droppedAttributesCount = dropped;
    this.links.push(kept);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.#isEnded()) return this;
    if (status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    const next: SpanStatus = { code: status.code };
    if (status.code === SpanStatusCode.ERROR) {
      if (typeof status.message === 'string') next.message = status.message;
      else if (status.message != null) {
        diag.warn(
          `Dropping invalid status.message of type '${typeof status.message}', expected 'string'`,
        );
      }
    }
    this.status = next;
    return this;
  }

  updateName(name: string): this {
    if (!this.#isEnded()) this.name = name;
    return this;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') attributes['exception.message'] = exception;
    else if (exception) {
      if (exception.code) attributes['exception.type'] = exception.code.toString();
      else if (exception.name) attributes['exception.type'] = exception.name;
      if (exception.message) attributes['exception.message'] = exception.message;
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
    }
    if (attributes['exception.type'] || attributes['exception.message']) {
      this.addEvent('exception', attributes, time);
    } else {
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- the SDK's message, as it writes it
      diag.warn(`Failed to record an exception ${String(exception)}`);
    }
  }

  end(endTime?: TimeInput): void {
    if (this.#isEnded()) {
      const { traceId, spanId } = this.#context;
      diag.error(`${this.name} ${traceId}-${spanId} - You can only call end() on a span once.`);
      return;
    }
    this.endTime = this.#time(endTime);
    this.#duration = hrTimeDuration(this.startTime, this.endTime);
    if (this.#duration[0] < 0) {
      diag.warn(
        'Inconsistent start and end time, startTime > endTime. Setting span duration to 0ms.',
        this.startTime,
        this.endTime,
      );
      this.endTime = [this.startTime[0], this.startTime[1]];
      this.#duration = [0, 0];
    }
    if (this.#droppedEvents > 0) {
      diag.warn(`Dropped ${this.#droppedEvents} events because eventCountLimit reached`);
    }
    if (this.#droppedLinks > 0) {
      diag.warn(`Dropped ${this.#droppedLinks} links because linkCountLimit reached`);
    }
    const processors = this.#processors;
    for (let i = 0; i < processors.length; i++) processors[i]!.onEnding?.(this);
    this.#ended = true;
    for (let i = 0; i < processors.length; i++) processors[i]!.onEnd(this);
  }

  #isEnded(): boolean {
    if (this.#ended) {
      const { traceId, spanId } = this.#context;
      const where = `{traceId: ${traceId}, spanId: ${spanId}}`;
      diag.warn(
        `Cannot execute the operation on ended Span ${where}`,
        new Error(`Operation attempted on ended Span ${where}`),
      );
    }
    return this.#ended;
  }

  /** A time given to `end` or `addEvent`, or now, as the SDK's span reads them. */
  #time(input: TimeInput | undefined): HrTime {
    if (typeof input === 'number') {
      // A performance.now() reading, corrected to the wall clock; otherwise epoch milliseconds.
      return input <= otperformance.now()
        ? hrTime(input + this.#performanceOffset)
        : millisToHrTime(input);
    }
    if (input instanceof Date) return millisToHrTime(input.getTime());
    if (isTimeInputHrTime(input)) return input;
    return addHrTimes(this.startTime, millisToHrTime(otperformance.now() - this.#performanceStart));
  }

  /**
   * A string (or the strings of an array) cut to the value length limit, as the SDK's span cuts
   * them; a limit that is not positive is warned about and ignored, as there.
   */
  #truncated(value: AttributeValue): AttributeValue {
    const limit = this.#limits.attributeValueLengthLimit;
    if (limit <= 0) {
      diag.warn(`Attribute value limit must be positive, got ${limit}`);
      return value;
    }
    if (typeof value === 'string') return value.length <= limit ? value : value.substring(0, limit);
    if (Array.isArray(value)) {
      return value.map((item: unknown) =>
        typeof item === 'string' && item.length > limit ? item.substring(0, limit) : item,
      ) as AttributeValue;
    }
    return value;
  }

  /** An event's or a link's attributes: the first `limit` kept (each truncated), the rest counted. */
  #limited(attributes: Attributes, limit: number) {
    const kept: Attributes = {};
    let count = 0;
    let dropped = 0;
    for (const key in attributes) {
      if (!Object.prototype.hasOwnProperty.call(attributes, key)) continue;
      if (count >= limit) {
        dropped++;
        continue;
      }
      kept[key] = this.#truncated(attributes[key]!);
      count++;
    }
    return { attributes: kept, dropped, count };
  }
}

function isTimeInput(value: unknown): value is TimeInput {
  return isTimeInputHrTime(value) || typeof value === 'number' || value instanceof Date;
}
