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
  /** The spans' fields, one after another (`SLOT` in otlp-json-writer.mjs), then attribute pairs. */
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

export declare function writeSpans(batch: PackedBatch): string;
export declare function flags(traceFlags: number, isRemote: boolean | undefined): number;
export declare function attributesJson(attributes: Readonly<Record<string, unknown>>): string;
export declare function quote(s: string): string;
