/**
 * Texts memoized for one run under up to three keys. A book of 100,000 deals says "No logged
 * activity in 23 days (team threshold 14)." tens of thousands of times with a few thousand
 * distinct values: building each text once and sharing it saves the building, and the garbage
 * collector then keeps one string per distinct text instead of one per deal (BENCHMARKS.md, engine).
 *
 * Keys are compared with SameValueZero. Keys that are all small non-negative integers or booleans
 * (the common case: day counts, flags) are packed into one number and cost one lookup; anything
 * else (strings, objects, fractions) goes through nested maps. A key position must keep one type
 * within a memo, and a memo one number of keys (`true` and `1` pack alike, and so do `(3)` and `(3, 0)`).
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
  // One map per arity, so a one- or two-key text costs one or two lookups.
  private readonly nested1 = new Map<unknown, string>();
  private readonly nested2 = new Map<unknown, Map<unknown, string>>();
  private readonly nested3 = new Map<unknown, Map<unknown, Map<unknown, string>>>();

  /** The text memoized under the keys, or `undefined`. Keys are never `undefined`. */
  get(a: unknown, b?: unknown, c?: unknown): string | undefined {
    if (packable(a) && packable(b ?? 0) && packable(c ?? 0)) return this.packed.get(pack(a, b ?? 0, c ?? 0));
    if (b === undefined) return this.nested1.get(a);
    if (c === undefined) return this.nested2.get(a)?.get(b);
    return this.nested3.get(a)?.get(b)?.get(c);
  }

  /** Memoizes `text`, flattened (see {@link flat}), under the keys and returns it. */
  set(text: string, a: unknown, b?: unknown, c?: unknown): string {
    const s = flat(text);
    if (packable(a) && packable(b ?? 0) && packable(c ?? 0)) this.packed.set(pack(a, b ?? 0, c ?? 0), s);
    else if (b === undefined) this.nested1.set(a, s);
    else if (c === undefined) inner(this.nested2, a).set(b, s);
    else inner(inner(this.nested3, a), b).set(c, s);
    return s;
  }
}

function inner<K, V>(outer: Map<unknown, Map<K, V>>, key: unknown): Map<K, V> {
  let m = outer.get(key);
  if (!m) outer.set(key, (m = new Map()));
  return m;
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
