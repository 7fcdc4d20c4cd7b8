/**
 * Instructions by function from a callgrind output file, with V8's compiled JavaScript named.
 *
 * Callgrind names native functions from their symbols, but JavaScript that V8 compiled at run time
 * has none: callgrind calls each such function by its address (`0x000000000d0abe40`). A Node run
 * with `--perf-basic-prof` writes `/tmp/perf-<pid>.map`, one line per piece of compiled code
 * (`<start hex> <size hex> <name>`, e.g. `JS:*writeString file:///…/otlp-protobuf.ts:1:5010`,
 * `*` for optimized code, `^` for baseline), and this puts those names on the addresses. Used by
 * `bench:http:instructions --functions` (docs/benchmarks.md, session 22).
 */

/** The code at a range of addresses, [start, end). */
interface Code {
  start: number;
  end: number;
  name: string;
}

/**
 * A perf map's code, by address. V8 reuses the space of code it has freed, so entries can
 * overlap: the map is replayed in the order it was written, each entry replacing whatever earlier
 * code it covers, and an address is named by the last code written over it.
 */
export class PerfMap {
  /** Disjoint ranges, by start. */
  readonly #codes: Code[] = [];

  constructor(text: string) {
    for (const row of text.split('\n')) {
      const m = /^([0-9a-fA-F]+) ([0-9a-fA-F]+) (.*)$/.exec(row);
      if (!m) continue;
      const start = parseInt(m[1]!, 16);
      const end = start + parseInt(m[2]!, 16);
      if (end > start) this.#write({ start, end, name: m[3]! });
    }
  }

  /** Puts `code` over its range: what it overlaps is cut back to the parts outside it. */
  #write(code: Code): void {
    const codes = this.#codes;
    // The first range that ends after the new one starts (ranges are disjoint and ordered, so
    // their ends are ordered too).
    let lo = 0;
    let hi = codes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (codes[mid]!.end <= code.start) lo = mid + 1;
      else hi = mid;
    }
    let last = lo;
    while (last < codes.length && codes[last]!.start < code.end) last++;
    const kept: Code[] = [];
    if (lo < last) {
      const first = codes[lo]!;
      const end = codes[last - 1]!;
      if (first.start < code.start) kept.push({ ...first, end: code.start });
      kept.push(code);
      if (end.end > code.end) kept.push({ ...end, start: code.end });
    } else kept.push(code);
    codes.splice(lo, last - lo, ...kept);
  }

  /** The name of the code holding `address`, or undefined. */
  nameAt(address: number): string | undefined {
    const codes = this.#codes;
    let lo = 0;
    let hi = codes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (codes[mid]!.start <= address) lo = mid + 1;
      else hi = mid;
    }
    const code = codes[lo - 1];
    return code && address < code.end ? code.name : undefined;
  }
}

/**
 * Each function's own costs (not those of what it calls) in a callgrind output file written with
 * positions as line numbers: one number per event of the file's `events:` line, in its order (Ir,
 * instructions, is always first). Functions named by an address are named from `map`, or `JIT
 * code` where the map has nothing there; names with a recursion suffix (`'2`) are counted under
 * the plain name.
 */
export function selfCosts(callgrindOut: string, map?: PerfMap): Map<string, number[]> {
  const names = new Map<string, string>();
  const self = new Map<string, number[]>();
  let current: string | undefined;
  let afterCalls = false;
  const define = (spec: string): string => {
    // "(id) name" defines an id; "(id)" refers to one; a bare name is neither.
    const m = /^\((\d+)\)(?: (.*))?$/.exec(spec);
    if (!m) return spec;
    if (m[2] !== undefined) names.set(m[1]!, m[2]);
    return names.get(m[1]!) ?? spec;
  };
  const add = (into: number[], costs: readonly number[]) => {
    for (let i = 0; i < costs.length; i++) into[i] = (into[i] ?? 0) + costs[i]!;
  };
  // A cost line is its position, then the events: with positions other than line numbers
  // (--dump-instr=yes) the first numbers would be read as costs.
  const positions = /^positions: (.+)$/m.exec(callgrindOut)?.[1]?.trim();
  if (positions !== undefined && positions !== 'line') {
    throw new Error(`callgrind positions "${positions}": only "line" is read`);
  }
  for (const line of callgrindOut.split('\n')) {
    if (line.startsWith('fn=')) {
      current = define(line.slice(3));
      afterCalls = false;
    } else if (line.startsWith('cfn=')) {
      define(line.slice(4));
    } else if (line.startsWith('calls=')) {
      afterCalls = true; // the next cost line is the call's inclusive cost
    } else if (/^[0-9+*-]/.test(line)) {
      if (afterCalls) {
        afterCalls = false;
        continue;
      }
      // A cost line: the position, then the events' costs; trailing zeros may be left out.
      const costs = line.split(' ').slice(1).map(Number);
      if (current !== undefined && costs.every(Number.isFinite)) {
        let into = self.get(current);
        if (!into) self.set(current, (into = []));
        add(into, costs);
      }
    }
  }
  const named = new Map<string, number[]>();
  for (const [fn, costs] of self) {
    const plain = fn.replace(/'\d+$/, '');
    const name = /^0x[0-9a-f]+$/.test(plain)
      ? (map?.nameAt(parseInt(plain, 16)) ?? 'JIT code')
      : plain;
    let into = named.get(name);
    if (!into) named.set(name, (into = []));
    add(into, costs);
  }
  return named;
}

/** Each function's own instructions: the first event of `selfCosts`. */
export function selfInstructions(callgrindOut: string, map?: PerfMap): Map<string, number> {
  return new Map([...selfCosts(callgrindOut, map)].map(([name, costs]) => [name, costs[0] ?? 0]));
}

/** A callgrind output file's `events:` and `summary:`: each event's total over the dump. */
export function summaryOf(callgrindOut: string): Record<string, number> {
  const events = /^events: (.+)$/m.exec(callgrindOut)?.[1]?.trim().split(/\s+/);
  const summary = /^summary: (.+)$/m.exec(callgrindOut)?.[1]?.trim().split(/\s+/).map(Number);
  if (!events || !summary) throw new Error('not a callgrind output file: no events or summary');
  return Object.fromEntries(events.map((event, i) => [event, summary[i] ?? 0]));
}

/**
 * Cycles estimated from simulated events, with KCachegrind's weights ("CEst"): an instruction 1,
 * a first-level miss 10, a last-level miss 100, a mispredicted branch 10. A model of where time
 * goes beyond the instructions, not a measurement of this machine.
 */
export function estimatedCycles(e: Record<string, number>): number {
  const n = (event: string) => e[event] ?? 0;
  const l1 = n('I1mr') + n('D1mr') + n('D1mw');
  const ll = n('ILmr') + n('DLmr') + n('DLmw');
  return n('Ir') + 10 * l1 + 100 * ll + 10 * (n('Bcm') + n('Bim'));
}
