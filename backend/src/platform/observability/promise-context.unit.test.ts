import { EventEmitter } from 'node:events';
import { ROOT_CONTEXT, createContextKey, type Context } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ContinuationContextManager,
  carryContextIntoThen,
  continuationDataWorks,
  loadContinuationData,
} from './continuation-context';
import { PromiseContextManager } from './promise-context';

const key = createContextKey('test');
const ctx = (value: string): Context => ROOT_CONTEXT.setValue(key, value);
const tick = () => new Promise((resolve) => setImmediate(resolve));

// npm ci builds the addon on this project's machines (node-gyp); without it this throws, and the
// continuation-data cases fail rather than skip.
const continuationData = () => {
  const loaded = loadContinuationData();
  if ('problem' in loaded) throw new Error(loaded.problem);
  return loaded.data;
};

type Manager = PromiseContextManager | ContinuationContextManager;
const managers: [string, () => Manager][] = [
  ['PromiseContextManager', () => new PromiseContextManager()],
  ['ContinuationContextManager', () => new ContinuationContextManager(continuationData())],
];

describe('continuation data (the native addon)', () => {
  it('is carried into promise reactions on this Node, and cleared after them', async () => {
    expect(await continuationDataWorks(continuationData())).toBe(true);
  });

  it("is not carried into the job that calls a thenable's `then` without carryContextIntoThen, which undoes itself", async () => {
    const data = continuationData();
    const manager = new ContinuationContextManager(data).enable();
    try {
      const seenByThen = () => {
        let seen: unknown = 'not run';
        const query = new Query(() => (seen = manager.active().getValue(key)));
        return manager.with(ctx('t'), async () => {
          await query;
          return seen;
        });
      };
      const original = Object.getOwnPropertyDescriptor(Query.prototype, 'then');
      expect(await seenByThen()).toBeUndefined(); // V8 11.3's limit: the job runs in no context
      const undo = carryContextIntoThen(Query.prototype, data);
      expect(await seenByThen()).toBe('t');
      undo();
      expect(Object.getOwnPropertyDescriptor(Query.prototype, 'then')).toEqual(original);
      expect(() => carryContextIntoThen({}, data)).toThrow(TypeError);
    } finally {
      manager.disable();
    }
  });

  it('swap returns what it replaces', () => {
    const data = continuationData();
    const outer = data.swap('a');
    try {
      expect(data.swap('b')).toBe('a');
      expect(data.get()).toBe('b');
    } finally {
      data.swap(outer);
    }
    expect(data.get()).toBe(outer);
  });
});

/** A thenable shaped like drizzle's QueryPromise: `then` runs the query. */
class Query {
  constructor(private readonly run: () => void) {}
  execute(): Promise<string> {
    this.run();
    return new Promise((resolve) => setImmediate(() => resolve('done')));
  }
  then<A, B = never>(
    onFulfilled?: (value: string) => A | PromiseLike<A>,
    onRejected?: (reason: unknown) => B | PromiseLike<B>,
  ): Promise<A | B> {
    return this.execute().then(onFulfilled, onRejected);
  }
  catch<B>(onRejected: (reason: unknown) => B | PromiseLike<B>): Promise<string | B> {
    return this.then(undefined, onRejected);
  }
}

describe.each(managers)('%s', (_name, create) => {
  let manager: Manager;
  const seen = () => manager.active().getValue(key);

  beforeEach(() => {
    manager = create().enable();
  });
  afterEach(() => {
    manager.disable();
  });

  it('is the root context outside `with`, and restores the previous one after it (even on throw)', () => {
    expect(manager.active()).toBe(ROOT_CONTEXT);
    const result = manager.with(
      ctx('a'),
      (x: number) => {
        expect(seen()).toBe('a');
        manager.with(ctx('b'), () => expect(seen()).toBe('b'));
        expect(seen()).toBe('a');
        return x * 2;
      },
      undefined,
      21,
    );
    expect(result).toBe(42);
    expect(() =>
      manager.with(ctx('c'), () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(manager.active()).toBe(ROOT_CONTEXT);
  });

  it('carries the context through awaits and then-callbacks of an async function', async () => {
    const values: unknown[] = [];
    async function work() {
      values.push(seen());
      await tick(); // a real turn of the event loop in between
      values.push(seen());
      await Promise.resolve();
      values.push(seen());
      return Promise.resolve().then(() => seen());
    }
    const last = await manager.with(ctx('req'), work);
    expect([...values, last]).toEqual(['req', 'req', 'req', 'req']);
    expect(manager.active()).toBe(ROOT_CONTEXT);
  });

  it('leaves the root context to what runs after a reaction (a queued microtask, a tick)', async () => {
    const inReaction = manager.with(ctx('r'), () => Promise.resolve().then(() => seen()));
    // Queued behind the reaction, in the same checkpoint; not a promise reaction, so no hook runs.
    const afterIt = new Promise((resolve) => queueMicrotask(() => resolve(seen())));
    const onTick = new Promise((resolve) => process.nextTick(() => resolve(seen())));
    expect(await inReaction).toBe('r');
    expect(await afterIt).toBeUndefined();
    expect(await onTick).toBeUndefined();
  });

  it('keeps concurrent chains apart', async () => {
    async function work(label: string, delays: number[]) {
      const out: unknown[] = [];
      for (const ms of delays) {
        await new Promise((resolve) => setTimeout(resolve, ms));
        out.push(seen());
      }
      return out.every((v) => v === label);
    }
    const results = await Promise.all([
      manager.with(ctx('one'), () => work('one', [5, 0, 3])),
      manager.with(ctx('two'), () => work('two', [0, 4, 1])),
      work('none', [1, 2]).then(() => seen()),
    ]);
    expect(results).toEqual([true, true, undefined]);
  });

  it('does not carry the context into timer callbacks (the documented limit) unless bound', async () => {
    const plain = await manager.with(
      ctx('t'),
      () => new Promise((resolve) => setTimeout(() => resolve(seen()), 0)),
    );
    expect(plain).toBeUndefined();
    const bound = await manager.with(
      ctx('t'),
      () =>
        new Promise((resolve) =>
          setTimeout(
            manager.bind(ctx('t'), () => resolve(seen())),
            0,
          ),
        ),
    );
    expect(bound).toBe('t');
  });

  it('binds event emitter listeners to a context', () => {
    const emitter = manager.bind(ctx('ee'), new EventEmitter());
    let heard: unknown;
    emitter.on('x', () => {
      heard = seen();
    });
    emitter.emit('x');
    expect(heard).toBe('ee');
  });

  it('carries the context through Promise.all and an async generator', async () => {
    async function* pages() {
      await tick();
      yield seen();
      await Promise.resolve();
      yield seen();
    }
    const got = await manager.with(ctx('g'), async () => {
      const all = await Promise.all([
        tick().then(() => seen()),
        (async () => {
          await Promise.resolve();
          return seen();
        })(),
      ]);
      const fromPages: unknown[] = [];
      for await (const page of pages()) fromPages.push(page);
      return [...all, ...fromPages];
    });
    expect(got).toEqual(['g', 'g', 'g', 'g']);
    expect(manager.active()).toBe(ROOT_CONTEXT);
  });

  it("runs a query builder's `then` (drizzle's thenables) in the context it is awaited in", async () => {
    // The continuation manager needs the `then` getter tracing installs on drizzle's QueryPromise.
    const undo =
      manager instanceof ContinuationContextManager
        ? carryContextIntoThen(Query.prototype, continuationData())
        : () => undefined;
    try {
      const ran: unknown[] = [];
      const query = () => new Query(() => ran.push(seen()));
      const results = await manager.with(ctx('q'), async () => {
        const direct = await query(); // awaited
        const both = await Promise.all([query(), query()]); // resolved by Promise.all
        const returned = await (async () => query())(); // returned from an async function
        const caught = await query().catch(() => 'never'); // catch calls then
        return [direct, ...both, returned, caught, seen()];
      });
      expect(ran).toEqual(['q', 'q', 'q', 'q', 'q']);
      expect(results).toEqual(['done', 'done', 'done', 'done', 'done', 'q']);
      // Outside any context the query runs in none.
      await query();
      expect(ran.at(-1)).toBeUndefined();
    } finally {
      undo();
    }
  });

  it('stops propagating once disabled', async () => {
    manager.disable();
    const value = await manager.with(ctx('off'), async () => {
      await tick();
      return seen();
    });
    expect(value).toBeUndefined();
  });
});

describe('PromiseContextManager with a second one', () => {
  it('stays right with a second manager hooked at the same time', async () => {
    const manager = new PromiseContextManager().enable();
    const second = new PromiseContextManager().enable();
    const seen = () => manager.active().getValue(key);
    try {
      // Both managers' hooks run on every reaction; the context must still be restored after each.
      second.with(ctx('other'), () => undefined); // installs the second set of hooks
      const inside = await manager.with(ctx('x'), async () => {
        await tick();
        return seen();
      });
      expect(inside).toBe('x');
      await tick();
      expect(manager.active()).toBe(ROOT_CONTEXT);
    } finally {
      second.disable();
      manager.disable();
    }
  });
});
