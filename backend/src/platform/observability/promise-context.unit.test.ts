import { EventEmitter } from 'node:events';
import { ROOT_CONTEXT, createContextKey, type Context } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PromiseContextManager } from './promise-context';

const key = createContextKey('test');
const ctx = (value: string): Context => ROOT_CONTEXT.setValue(key, value);
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('PromiseContextManager', () => {
  let manager: PromiseContextManager;
  const seen = () => manager.active().getValue(key);

  beforeEach(() => {
    manager = new PromiseContextManager().enable();
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

  it('stays right with a second manager hooked at the same time', async () => {
    const second = new PromiseContextManager().enable();
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
