import { Worker } from 'node:worker_threads';
import { diag } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { packSpans } from './otlp-json';
import { encodeSpans } from './otlp-protobuf';

/** The OTLP/HTTP body formats (OTEL_EXPORTER_OTLP_PROTOCOL); gRPC is not supported. */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

/**
 * The OTLP/HTTP span exporter, configured by the same OTEL_EXPORTER_OTLP_* variables as the SDK's
 * exporters (with their retries, timeout and compression); the requests are sent from a worker
 * thread (ADR 0008).
 *
 * - `http/protobuf`, the default: each batch arrives written (`exportEncoded`, from the span
 *   processor in otlp-batch.ts, which writes spans as they end), or is written here (`export`,
 *   `encodeSpans`); either way the SDK's bytes, handed to the worker without a copy.
 * - `http/json`: each batch is packed here (`packSpans`), and written as OTLP JSON on the worker.
 */
export function createOtlpTraceExporter(protocol: OtlpProtocol): WorkerSpanExporter {
  return new WorkerSpanExporter(new URL('./otlp-export-worker.mjs', import.meta.url), protocol);
}

/**
 * A span exporter whose HTTP requests are made on a worker thread (`otlp-export-worker.mjs`).
 *
 * Why a thread: sending from the main thread runs Node's HTTP client through the same functions as
 * the server's responses (OutgoingMessage's write and end, stream and event-emitter code). Each
 * export fed them a second kind of object, and their optimized code was thrown away and ran
 * unoptimized for a while: about 20k instructions per request on the ping route at a 10 % sampler,
 * more than everything else tracing does (callgrind, docs/benchmarks.md). The worker has its own
 * heap and JIT, so the server's code never sees a client request; only the batch crosses: its
 * protobuf bytes (a transfer, no copy), or for JSON its fields (a structured clone of flat arrays,
 * `packSpans`).
 */
export class WorkerSpanExporter implements SpanExporter {
  readonly #worker: Worker;
  /** Result callbacks of the exports in flight, by id. */
  readonly #pending = new Map<number, (result: ExportResult) => void>();
  #nextId = 0;
  /** Set once the worker is gone (shut down, or failed): later exports fail at once. */
  #gone: Error | undefined;
  /** Called when the last export in flight settles (forceFlush). */
  #drained: (() => void)[] = [];
  /** Settles when the worker has ended, whenever that happens (listened for from the start). */
  readonly #exited: Promise<void>;
  readonly #protocol: OtlpProtocol;

  constructor(script: URL, protocol: OtlpProtocol = 'http/protobuf') {
    this.#protocol = protocol;
    // No inherited execArgv: the parent's --import hooks (tsx, the tracing preload) are not for it
    // (and preload.ts does nothing off the main thread, for hooks that come with NODE_OPTIONS).
    this.#worker = new Worker(script, { execArgv: [], workerData: { protocol } });
    // Exports are flushed by shutdown (stopTracing); an idle exporter keeps no process alive.
    this.#worker.unref();
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'diag') {
        // The worker's SDK diagnostics (a bad endpoint, a partial success), to this thread's log.
        diag[message.level](`export worker: ${message.message}`);
        return;
      }
      const done = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      done?.(
        message.code === ExportResultCode.SUCCESS
          ? { code: ExportResultCode.SUCCESS }
          : { code: ExportResultCode.FAILED, error: new Error(message.error ?? 'export failed') },
      );
      this.#settle();
    });
    this.#worker.on('error', (err) => this.#fail(err));
    this.#worker.on('exit', () => this.#fail(new Error('the OTLP export worker has stopped')));
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.#protocol === 'http/protobuf') {
      let body: Uint8Array<ArrayBuffer>;
      try {
        // Cheaper to write here than to pack for the worker (otlp-protobuf.ts).
        body = encodeSpans(spans);
      } catch (err) {
        // A span the serializer cannot write (one built by hand): this batch fails, and nothing
        // waits for it.
        resultCallback({ code: ExportResultCode.FAILED, error: err as Error });
        return;
      }
      this.exportEncoded(body, resultCallback);
      return;
    }
    // http/json: the spans' fields only, the JSON is written on the worker (otlp-json.ts says
    // why). A value the structured clone refuses (in a span built by hand; the SDK's attributes
    // are primitives and arrays of them) fails this batch.
    let batch: unknown;
    try {
      batch = packSpans(spans);
    } catch (err) {
      resultCallback({ code: ExportResultCode.FAILED, error: err as Error });
      return;
    }
    this.#post({ batch }, undefined, resultCallback);
  }

  /**
   * Sends a request body already written (`EncodingSpanProcessor`, otlp-batch.ts): its buffer is
   * transferred to the worker, so `body` is empty afterwards. Protobuf only.
   */
  exportEncoded(
    body: Uint8Array<ArrayBuffer>,
    resultCallback: (result: ExportResult) => void,
  ): void {
    if (this.#protocol !== 'http/protobuf') {
      const error = new Error(`a protobuf body cannot be sent as ${this.#protocol}`);
      resultCallback({ code: ExportResultCode.FAILED, error });
      return;
    }
    this.#post({ body }, [body.buffer], resultCallback);
  }

  /** Posts one export to the worker, and waits for its result. */
  #post(
    payload: { body: Uint8Array } | { batch: unknown },
    transfer: ArrayBuffer[] | undefined,
    resultCallback: (result: ExportResult) => void,
  ): void {
    if (this.#gone) {
      resultCallback({ code: ExportResultCode.FAILED, error: this.#gone });
      return;
    }
    const id = this.#nextId++;
    try {
      this.#worker.postMessage({ type: 'export', id, ...payload }, transfer);
    } catch (err) {
      resultCallback({ code: ExportResultCode.FAILED, error: err as Error });
      return;
    }
    this.#pending.set(id, resultCallback);
  }

  /** Resolves when every export in flight has its result. */
  forceFlush(): Promise<void> {
    if (this.#pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  /** Waits for the exports in flight, then stops the worker. */
  async shutdown(): Promise<void> {
    if (!this.#gone) {
      await this.forceFlush();
      this.#worker.postMessage({ type: 'shutdown' }); // a no-op if it has ended meanwhile
    }
    await this.#exited;
  }

  #settle() {
    if (this.#pending.size > 0) return;
    const waiting = this.#drained;
    this.#drained = [];
    for (const resolve of waiting) resolve();
  }

  #fail(err: Error) {
    this.#gone ??= err;
    for (const done of this.#pending.values()) done({ code: ExportResultCode.FAILED, error: err });
    this.#pending.clear();
    this.#settle();
  }
}

type WorkerMessage =
  | { type: 'result'; id: number; code: ExportResultCode; error?: string }
  | { type: 'diag'; level: 'warn' | 'error'; message: string };
