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

/**
 * The addon, or why it cannot be used: not built (no compiler at `npm ci`), built for another Node
 * (an upgrade without a rebuild), or a Node whose own AsyncLocalStorage keeps its frame in the same
 * slot (22 behind a flag, 24 by default), which the addon would overwrite.
 */
export function loadContinuationData(): { data: ContinuationData } | { problem: string } {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= 22) {
    return {
      problem: `Node ${major}'s AsyncLocalStorage can keep its frame in the data the addon would set`,
    };
  }
  try {
    return {
      data: createRequire(import.meta.url)('@hanger/continuation-data') as ContinuationData,
    };
  } catch (err) {
    return {
      problem: `the @hanger/continuation-data addon does not load (npm ci builds it with node-gyp): ${(err as Error).message}`,
    };
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
 * into the addon. `active` is one. Every set is paired with a restore (here, in the `then` getter
 * below, in the start-up probe): V8 clears the value after each promise reaction, but a callback
 * from the event loop sees whatever was left, so a set without its restore would leak the context
 * into the next request's callbacks. What it carries and what it does not is what promise-context.ts
 * carries: promises and awaits, not the callbacks of timers, ticks, sockets and event emitters,
 * which the request hooks and `bind` handle as there.
 *
 * It extends AsyncLocalStorageContextManager only to inherit `bind` for EventEmitters; its
 * AsyncLocalStorage is never entered.
 */
export class ContinuationContextManager extends AsyncLocalStorageContextManager {
  /** Disabled (as before `enable`), `with` only calls: it cannot set a context for the synchronous
   * call alone, as the promise-hook manager can, since whatever it sets, awaits carry on. */
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

/** On a `then` getter of ours: the descriptor it replaced. */
const kReplaced = Symbol('hanger.replacedThen');
type ThenGetter = (() => unknown) & { [kReplaced]?: PropertyDescriptor };

/**
 * Carries the active context into the `then` of a class of thenables, and returns the undo.
 *
 * V8 11.3 stores the value on promise reactions, but not on the job that calls a thenable's `then`
 * (`await db.select()…`: drizzle's query builders are thenables whose `then` runs the query), so
 * without this a query awaited in a traced request would run, and look for its parent span, in no
 * context. V8 reads `then` synchronously where the thenable is awaited or resolved: a getter there
 * hands out `then` bound to the context active at that moment (the original itself when none is).
 *
 * A prototype that already has such a getter (installed before, or copied from another prototype
 * by a mixin, as drizzle copies QueryPromise's methods onto PgSelectBase's) gets a fresh one over
 * the same original; the undo puts the original back.
 */
export function carryContextIntoThen(prototype: object, data: ContinuationData): () => void {
  const current = Object.getOwnPropertyDescriptor(prototype, 'then');
  const original = (current?.get as ThenGetter | undefined)?.[kReplaced] ?? current;
  const then: unknown = original?.value;
  if (!original || typeof then !== 'function') {
    throw new TypeError('carryContextIntoThen: the prototype has no own `then` method');
  }
  const getter: ThenGetter = function () {
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
  };
  getter[kReplaced] = original;
  Object.defineProperty(prototype, 'then', {
    configurable: true,
    enumerable: original.enumerable,
    get: getter,
  });
  return () => Object.defineProperty(prototype, 'then', original);
}
