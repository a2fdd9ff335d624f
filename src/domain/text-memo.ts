/**
 * Texts memoized for one run under up to three keys. A book of 100,000 deals says "No logged
 * activity in 23 days (team threshold 14)." tens of thousands of times with a few thousand
 * distinct values: building each text once and sharing it saves the building, and the garbage
 * collector then keeps one string per distinct text instead of one per deal (BENCHMARKS.md, engine).
 *
 * Keys are compared with SameValueZero. Keys that are all small non-negative integers or booleans
 * (the common case: day counts, flags) are packed into one number and cost one lookup; anything
 * else (strings, objects, fractions) goes through nested maps. A key position must keep one type
 * within a memo (`true` and `1` pack alike).
 */
import { flat } from './strings.js';

/** Packed keys hold three 17-bit fields: 51 bits, exact in a double. */
const FIELD = 2 ** 17;

function packable(x: unknown): boolean {
  return typeof x === 'boolean' || (typeof x === 'number' && x >= 0 && x < FIELD && Math.floor(x) === x);
}

function pack(a: unknown, b: unknown, c: unknown): number {
  return (Number(a) * FIELD + Number(b)) * FIELD + Number(c);
}

export class TextMemo {
  private readonly packed = new Map<number, string>();
  private readonly nested = new Map<unknown, Map<unknown, Map<unknown, string>>>();

  /** The text memoized under the keys, or `undefined`. */
  get(a: unknown, b: unknown = 0, c: unknown = 0): string | undefined {
    if (packable(a) && packable(b) && packable(c)) return this.packed.get(pack(a, b, c));
    return this.nested.get(a)?.get(b)?.get(c);
  }

  /** Memoizes `text`, flattened (see {@link flat}), under the keys and returns it. */
  set(text: string, a: unknown, b: unknown = 0, c: unknown = 0): string {
    const s = flat(text);
    if (packable(a) && packable(b) && packable(c)) {
      this.packed.set(pack(a, b, c), s);
      return s;
    }
    let byB = this.nested.get(a);
    if (!byB) this.nested.set(a, (byB = new Map()));
    let byC = byB.get(b);
    if (!byC) byB.set(b, (byC = new Map()));
    byC.set(c, s);
    return s;
  }
}

/** One {@link TextMemo} per named template, created on first use; one instance per run. */
export class RunTexts {
  private readonly memos = new Map<string, TextMemo>();

  /** The memo of the template `name` (e.g. `stale_deal.message`). */
  memo(name: string): TextMemo {
    let m = this.memos.get(name);
    if (!m) this.memos.set(name, (m = new TextMemo()));
    return m;
  }
}
