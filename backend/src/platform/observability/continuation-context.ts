import { createRequire } from 'node:module';
import { ROOT_CONTEXT, type Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';

/** V8's continuation-preserved embedder data, from the native addon (native/continuation-data). */
export interface ContinuationData {
  /** The value for what runs now: undefined if none. */
  get(): unknown;
  /** Sets the value and returns the one it replaces. */
  swap(value: unknown): unknown;
}

/** The addon, or undefined where it was not built (no compiler at `npm ci`, another Node ABI). */
export function loadContinuationData(): ContinuationData | undefined {
  try {
    return createRequire(import.meta.url)('@hanger/continuation-data') as ContinuationData;
  } catch {
    return undefined;
  }
}

/**
 * Whether this V8 carries the value into a promise reaction and clears it after: V8 11.3 (Node 20)
 * does; a V8 built without the feature would accept the value and drop it. Restores what was set.
 */
export async function continuationDataWorks(data: ContinuationData): Promise<boolean> {
  const probe = { probe: true };
  const previous = data.swap(probe);
  let reaction: Promise<unknown>;
  try {
    reaction = Promise.resolve().then(() => data.get());
  } finally {
    data.swap(previous);
  }
  const seenInReaction = await reaction;
  // After the reaction V8 clears the value: a tick later, nothing of the probe is left.
  const seenAfter = await new Promise((resolve) => setImmediate(() => resolve(data.get())));
  return seenInReaction === probe && seenAfter !== probe;
}

/**
 * An OpenTelemetry context manager whose active context is V8's continuation-preserved embedder
 * data (ADR 0012). V8 stores that value on every promise reaction it creates (a `then` callback,
 * the code after an `await`) and sets it again while the reaction runs, whether or not anything
 * uses it; Node 22+ builds AsyncContextFrame on it. So carrying the context costs nothing per
 * promise: no hook runs, and V8 keeps its optimized promise paths, which installing promise hooks
 * switches off for the rest of the process (promise-context.ts, the fallback).
 *
 * `with` sets the value for the synchronous call and restores it after (also on throw): two calls
 * into the addon. `active` is one. What it carries and what it does not is what promise-context.ts
 * carries: promises and awaits, not the callbacks of timers, ticks, sockets and event emitters,
 * which the request hooks and `bind` handle as there.
 *
 * It extends AsyncLocalStorageContextManager only to inherit `bind` for EventEmitters; its
 * AsyncLocalStorage is never entered.
 */
export class ContinuationContextManager extends AsyncLocalStorageContextManager {
  #enabled = false;

  constructor(private readonly data: ContinuationData) {
    super();
  }

  override active(): Context {
    return (this.data.get() as Context | undefined) ?? ROOT_CONTEXT;
  }

  override with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    if (!this.#enabled) return fn.call(thisArg, ...args);
    const previous = this.data.swap(context);
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.data.swap(previous);
    }
  }

  override enable(): this {
    this.#enabled = true;
    return this;
  }

  override disable(): this {
    this.#enabled = false;
    this.data.swap(undefined);
    return this;
  }
}

/**
 * Carries the active context into the `then` of a class of thenables, and returns the undo.
 *
 * V8 11.3 stores the value on promise reactions, but not on the job that calls a thenable's `then`
 * (`await db.select()…`: drizzle's query builders are thenables whose `then` runs the query), so
 * without this a query awaited in a traced request would run, and look for its parent span, in no
 * context. V8 reads `then` synchronously where the thenable is awaited or resolved: a getter there
 * hands out `then` bound to the context active at that moment (the original itself when none is).
 */
export function carryContextIntoThen(prototype: object, data: ContinuationData): () => void {
  const descriptor = Object.getOwnPropertyDescriptor(prototype, 'then');
  const then: unknown = descriptor?.value;
  if (!descriptor || typeof then !== 'function') {
    throw new TypeError('carryContextIntoThen: the prototype has no own `then` method');
  }
  Object.defineProperty(prototype, 'then', {
    configurable: true,
    enumerable: descriptor.enumerable,
    get() {
      const active = data.get();
      if (active === undefined) return then;
      return function (this: unknown, ...args: unknown[]): unknown {
        const previous = data.swap(active);
        try {
          return then.apply(this, args);
        } finally {
          data.swap(previous);
        }
      };
    },
  });
  return () => Object.defineProperty(prototype, 'then', descriptor);
}
