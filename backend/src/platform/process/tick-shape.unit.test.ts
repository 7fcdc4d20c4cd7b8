import { describe, expect, it } from 'vitest';
import { pinnedTickObject, pinTickObjectShape } from './tick-shape';

describe('pinTickObjectShape', () => {
  it("holds one of Node's nextTick queue entries, with the shape nextTick builds", () => {
    pinTickObjectShape();
    const entry = pinnedTickObject();
    expect(entry).toBeDefined();
    expect(Object.keys(entry!)).toEqual(['callback', 'args']);
    const symbols = Object.getOwnPropertySymbols(entry!).map((s) => s.description);
    expect(symbols).toEqual(['async_id_symbol', 'trigger_async_id_symbol']);
  });

  it('pins once: a second call keeps the same entry', () => {
    pinTickObjectShape();
    const first = pinnedTickObject();
    pinTickObjectShape();
    expect(pinnedTickObject()).toBe(first);
  });
});
