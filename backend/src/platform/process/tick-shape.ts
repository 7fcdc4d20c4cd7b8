import { createHook } from 'node:async_hooks';

let pinned: object | undefined;

/**
 * Keeps one of Node's own `process.nextTick` queue entries alive for the life of the process.
 *
 * Why: `process.nextTick` builds each entry with an object literal whose keys include two symbols
 * (`{ [async_id_symbol]: …, [trigger_async_id_symbol]: …, callback, args }`). V8 (Node 20) records,
 * per computed key of that literal, the one hidden class it has seen, and holds it weakly. Entries
 * live for microseconds, so a garbage collection that finds none alive frees those hidden classes;
 * the next entry gets new ones, the recorded class no longer matches, and V8 gives up on the site
 * for good ("megamorphic"): from then on every tick object is built by the runtime's slow path.
 * Whether that happens depends on when the first collections run, so identical server processes
 * came up either fast or about a quarter slower on a small route (docs/benchmarks.md). One entry
 * held here keeps the hidden classes alive, so the site stays monomorphic in every process.
 *
 * Taken with an async_hooks `init` hook enabled only around one `nextTick` call: the queue entry is
 * the hook's resource. Harmless if a future Node builds entries differently (nothing is captured
 * or the object is simply kept).
 */
export function pinTickObjectShape(): void {
  if (pinned) return;
  const hook = createHook({
    init(_asyncId, type, _triggerAsyncId, resource) {
      if (type === 'TickObject' && !pinned) pinned = resource;
    },
  });
  hook.enable();
  process.nextTick(noop, undefined);
  hook.disable();
}

/** The pinned entry, for the unit test. */
export function pinnedTickObject(): object | undefined {
  return pinned;
}

function noop(_value: unknown): void {}
