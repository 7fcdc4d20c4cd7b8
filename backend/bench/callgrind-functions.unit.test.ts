import { describe, expect, it } from 'vitest';
import {
  PerfMap,
  estimatedCycles,
  selfCosts,
  selfInstructions,
  summaryOf,
} from './callgrind-functions';

describe('PerfMap', () => {
  it('names an address by the code last written over it', () => {
    const map = new PerfMap(
      [
        '1000 100 JS:*first file:///a.ts:1:1',
        '2000 400 JS:^long file:///b.ts:2:2',
        '2100 50 JS:*inner file:///c.ts:3:3',
        '1000 100 JS:*reused file:///d.ts:4:4',
        'not a line',
        // Written later, starting lower and ending higher than code it replaces.
        '30f0 40 JS:*small file:///e.ts:5:5',
        '3000 400 JS:*wide file:///f.ts:6:6',
        '3050 10 JS:*tiny file:///g.ts:7:7',
      ].join('\n'),
    );
    expect(map.nameAt(0x1000)).toBe('JS:*reused file:///d.ts:4:4');
    expect(map.nameAt(0x10ff)).toBe('JS:*reused file:///d.ts:4:4');
    expect(map.nameAt(0x1100)).toBeUndefined();
    expect(map.nameAt(0x2010)).toBe('JS:^long file:///b.ts:2:2');
    expect(map.nameAt(0x2120)).toBe('JS:*inner file:///c.ts:3:3');
    expect(map.nameAt(0x2200)).toBe('JS:^long file:///b.ts:2:2');
    expect(map.nameAt(0x999)).toBeUndefined();
    expect(map.nameAt(0x3100)).toBe('JS:*wide file:///f.ts:6:6');
    expect(map.nameAt(0x3055)).toBe('JS:*tiny file:///g.ts:7:7');
    expect(map.nameAt(0x3060)).toBe('JS:*wide file:///f.ts:6:6');
  });

  it('finds a long entry however many shorter ones follow it', () => {
    const rows = ['100000 100000 JS:*long x.ts'];
    for (let i = 0; i < 500; i++)
      rows.push(`${(0x300000 + i * 0x100).toString(16)} 80 JS:*f${i} y.ts`);
    const map = new PerfMap(rows.join('\n'));
    expect(map.nameAt(0x1ffff0)).toBe('JS:*long x.ts');
    expect(map.nameAt(0x300000 + 499 * 0x100)).toBe('JS:*f499 y.ts');
    expect(map.nameAt(0x300000 + 499 * 0x100 + 0x80)).toBeUndefined();
  });
});

describe('selfInstructions', () => {
  it("counts each function's own cost, not its calls', under its symbol or its code's name", () => {
    const out = [
      'events: Ir',
      'fl=(1) ???',
      'fn=(1) 0x0000000000001010',
      '0 100',
      '+2 20',
      'cfn=(2) 0x0000000000002120',
      'calls=3 0',
      '0 5000', // the call's inclusive cost: not the caller's own
      '* 7',
      'fn=(2)',
      '0 300',
      "fn=(3) v8::internal::Heap::Scavenge()'2",
      '0 40',
      'fn=(4) v8::internal::Heap::Scavenge()',
      '0 2',
      'fn=(5) 0x0000000000009000',
      '0 9',
      'fn=(1)',
      '0 3',
      'summary: 481',
    ].join('\n');
    const map = new PerfMap('1000 100 JS:*caller x.ts\n2100 50 JS:*callee y.ts');
    expect(Object.fromEntries(selfInstructions(out, map))).toEqual({
      'JS:*caller x.ts': 130,
      'JS:*callee y.ts': 300,
      'v8::internal::Heap::Scavenge()': 42,
      'JIT code': 9,
    });
    expect(Object.fromEntries(selfInstructions(out))).toMatchObject({
      'JIT code': 439,
      'v8::internal::Heap::Scavenge()': 42,
    });
  });
});

describe('selfCosts and summaryOf', () => {
  // A file written with --cache-sim=yes --branch-sim=yes: thirteen events, trailing zeros left out.
  const out = [
    'events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw Bc Bcm Bi Bim',
    'fl=(1) ???',
    'fn=(1) 0x0000000000001010',
    '0 100 40 10 2 3 1 0 1 0 20 4',
    'cfn=(2) v8::internal::Heap::Scavenge()',
    'calls=1 0',
    '0 9000 900 900 90 90 90 9 9 9 900 90 9 9', // inclusive: not the caller's own
    '+1 10 4 1 1',
    'fn=(2)',
    '0 50 10 5 0 1 0 0 0 0 5 1 2 1',
    'summary: 160 54 16 3 4 1 0 1 0 25 5 2 1',
  ].join('\n');

  it("adds each event's own cost per function, in the order of the events line", () => {
    const map = new PerfMap('1000 100 JS:*caller x.ts');
    expect(Object.fromEntries(selfCosts(out, map))).toEqual({
      'JS:*caller x.ts': [110, 44, 11, 3, 3, 1, 0, 1, 0, 20, 4],
      'v8::internal::Heap::Scavenge()': [50, 10, 5, 0, 1, 0, 0, 0, 0, 5, 1, 2, 1],
    });
    expect(selfInstructions(out, map).get('JS:*caller x.ts')).toBe(110);
    // With line positions named, the same; with instruction addresses too, refused.
    expect(selfCosts(`positions: line\n${out}`, map)).toEqual(selfCosts(out, map));
    expect(() => selfCosts(`positions: instr line\n${out}`)).toThrow(/only "line"/);
  });

  it('reads the totals by event, and rejects a file without them', () => {
    const summary = summaryOf(out);
    expect(summary).toMatchObject({ Ir: 160, I1mr: 3, D1mr: 4, DLmr: 1, Bcm: 5, Bim: 1 });
    expect(summaryOf('events: Ir\nsummary: 7\n')).toEqual({ Ir: 7 });
    expect(() => summaryOf('events: Ir\n')).toThrow(/no events or summary/);
  });

  it('estimates cycles with 10 per first-level miss and mispredict, 100 per last-level miss', () => {
    // 160 + 10 × (3 + 4 + 1) + 100 × 1 + 10 × (5 + 1)
    expect(estimatedCycles(summaryOf(out))).toBe(160 + 80 + 100 + 60);
    expect(estimatedCycles({ Ir: 42 })).toBe(42);
  });
});
