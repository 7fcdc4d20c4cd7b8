import { promiseHooks } from 'node:v8';
import { ROOT_CONTEXT, type Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';

/** The context a promise was created in (absent: the root context). */
const kContext = Symbol('hanger.otelContext');
type Tagged = Promise<unknown> & { [kContext]?: Context };

/** The active context: set by `with`, and by a promise's reaction while it runs. */
let current: Context = ROOT_CONTEXT;
/** Managers whose hooks are installed; the last one out resets the active context. */
let hookedManagers = 0;

/**
 * An OpenTelemetry context manager that carries the active context through promises only, with
 * V8's promise hooks, instead of Node 20's AsyncLocalStorage.
 *
 * Why: once entered, AsyncLocalStorage turns on Node's async_hooks for every promise and every
 * native handle of the process. On a small request that cost 14 % of its instructions, whether the
 * request was traced or not; these hooks cost about 4 % (docs/benchmarks.md). A promise made while a
 * context is active remembers it, and its reactions (`then` callbacks and the code after an
 * `await`) run in it, which is how async functions see the context they were called in.
 *
 * What it does not carry: callbacks of timers, `process.nextTick`, sockets and event emitters. The
 * request hooks re-enter the request's context at each such seam they own (observability/http.ts),
 * and the pool's checkout binds its callback (observability/db.ts; `bind`, inherited, works for
 * functions and EventEmitters alike).
 *
 * It extends AsyncLocalStorageContextManager only to inherit `bind` for EventEmitters; its
 * AsyncLocalStorage is never entered, so it never turns async_hooks on. The promise hooks are
 * installed at the first context other than the root one: a process whose requests are never
 * sampled never pays for them.
 */
export class PromiseContextManager extends AsyncLocalStorageContextManager {
  /** Removes the hooks; set while they are installed. */
  #stop: (() => void) | undefined;
  #enabled = false;

  override active(): Context {
    return current;
  }

  override with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    if (this.#stop === undefined && this.#enabled && context !== ROOT_CONTEXT) this.#hook();
    const previous = current;
    current = context;
    try {
      return fn.call(thisArg, ...args);
    } finally {
      current = previous;
    }
  }

  override enable(): this {
    this.#enabled = true;
    return this;
  }

  #hook() {
    this.#stop = promiseHooks.createHook({
      init(promise: Tagged) {
        // Only promises made inside a context get the field: adding it to every promise cost more
        // than the extra shape costs the load in `before` (measured).
        if (current !== ROOT_CONTEXT) promise[kContext] = current;
      },
      before(promise: Tagged) {
        current = promise[kContext] ?? ROOT_CONTEXT;
      },
      // Back to the root context, not to what was active before the reaction: reactions run from
      // the microtask checkpoint, which Node enters only with no `with` on the stack, so that was
      // the root context. A stack of saved contexts made `before` and `after` cost 2.7k
      // instructions per database request, 1.75k without (callgrind, services runtime); it would
      // matter only to a microtask queue drained inside a reaction, a `vm` context's, which
      // nothing here uses.
      after() {
        current = ROOT_CONTEXT;
      },
    }) as () => void; // typed as a bare `Function` in @types/node
    hookedManagers++;
  }

  override disable(): this {
    if (this.#stop) {
      this.#stop();
      this.#stop = undefined;
      hookedManagers--;
    }
    this.#enabled = false;
    if (hookedManagers === 0) current = ROOT_CONTEXT;
    return this;
  }
}
