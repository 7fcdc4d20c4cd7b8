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
 * Each function's own instructions (not those of what it calls) in a callgrind output file written
 * with the default event (Ir) and positions (line numbers). Functions named by an address are
 * named from `map`, or `JIT code` where the map has nothing there; names with a recursion suffix
 * (`'2`) are counted under the plain name.
 */
export function selfInstructions(callgrindOut: string, map?: PerfMap): Map<string, number> {
  const names = new Map<string, string>();
  const self = new Map<string, number>();
  let current: string | undefined;
  let afterCalls = false;
  const define = (spec: string): string => {
    // "(id) name" defines an id; "(id)" refers to one; a bare name is neither.
    const m = /^\((\d+)\)(?: (.*))?$/.exec(spec);
    if (!m) return spec;
    if (m[2] !== undefined) names.set(m[1]!, m[2]);
    return names.get(m[1]!) ?? spec;
  };
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
      const cost = Number(line.split(' ')[1]);
      if (current !== undefined && Number.isFinite(cost)) {
        self.set(current, (self.get(current) ?? 0) + cost);
      }
    }
  }
  const named = new Map<string, number>();
  for (const [fn, cost] of self) {
    const plain = fn.replace(/'\d+$/, '');
    const name = /^0x[0-9a-f]+$/.test(plain)
      ? (map?.nameAt(parseInt(plain, 16)) ?? 'JIT code')
      : plain;
    named.set(name, (named.get(name) ?? 0) + cost);
  }
  return named;
}
