// Types of otlp-json-writer.mjs (plain JavaScript: it also runs on the export worker thread).

/** A batch of spans as `packSpans` (otlp-json.ts) packs it: structured-clonable, no classes. */
export interface PackedBatch {
  resources: PackedResource[];
}

export interface PackedResource {
  /** The OTLP `resource` object, written once per resource and cached. */
  json: string;
  schemaUrl: string | undefined;
  scopes: PackedScope[];
}

export interface PackedScope {
  /** The OTLP `scope` object, written once per scope and cached. */
  json: string;
  schemaUrl: string | undefined;
  /** The spans' fields, one after another: `FIXED_SLOTS` by `SLOT`, then attribute pairs. */
  spans: unknown[];
}

/** A link, its trace state serialized and its OTLP flags computed. */
export interface PackedLink {
  traceId: string;
  spanId: string;
  traceState: string | undefined;
  flags: number;
  attributes: Readonly<Record<string, unknown>> | undefined;
  droppedAttributesCount: number;
}

export declare const SLOT: Readonly<{
  traceId: 0;
  spanId: 1;
  parentSpanId: 2;
  traceState: 3;
  name: 4;
  kind: 5;
  startSeconds: 6;
  startNanos: 7;
  endSeconds: 8;
  endNanos: 9;
  droppedAttributesCount: 10;
  events: 11;
  droppedEventsCount: 12;
  statusCode: 13;
  statusMessage: 14;
  links: 15;
  droppedLinksCount: 16;
  flags: 17;
  attributeCount: 18;
}>;
export declare const FIXED_SLOTS: 19;

export declare function writeSpans(batch: PackedBatch): string;
export declare function flags(traceFlags: number, isRemote: boolean | undefined): number;
export declare function attributesJson(attributes: Readonly<Record<string, unknown>>): string;
export declare function quote(s: string): string;
