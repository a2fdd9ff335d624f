/**
 * Values memoized for one run under up to three keys. A book of 100,000 deals says "No logged
 * activity in 23 days (team threshold 14)." tens of thousands of times with a few thousand
 * distinct values: building each text (or score component) once and sharing it saves the building,
 * and the garbage collector then keeps one copy per distinct value instead of one per deal
 * (BENCHMARKS.md, engine). Shared values are never mutated: objects are frozen.
 *
 * Keys are compared with SameValueZero. Keys that are all small non-negative integers or booleans
 * (the common case: day counts, flags) are packed into one number and cost one lookup; anything
 * else (strings, objects, fractions) goes through nested maps, except an object with a small
 * integer (a stage's limits and a day count), which indexes an array kept per object. A key
 * position must keep one type within a memo, and a memo one number of keys (`true` and `1` pack
 * alike, and so do `(3)` and `(3, 0)`).
 */
import { flat } from './strings.js';

/** Packed keys hold three 17-bit fields: 51 bits, exact in a double. */
const FIELD = 2 ** 17;

function packable(x: unknown): boolean {
  return typeof x === 'boolean' || (typeof x === 'number' && x >= 0 && x < FIELD && Math.floor(x) === x);
}

/** An object key with a small integer (a stage's limits and a day count): an array per object. */
function objectAndIndex(a: unknown, b: unknown): boolean {
  return typeof a === 'object' && a !== null && typeof b === 'number' && b >= 0 && b < FIELD && Math.floor(b) === b;
}

function pack(a: unknown, b: unknown, c: unknown): number {
  return (Number(a) * FIELD + Number(b)) * FIELD + Number(c);
}

export class Memo<T> {
  private readonly packed = new Map<number, T>();
  // One map per arity, so a one- or two-key value costs one or two lookups.
  private readonly nested1 = new Map<unknown, T>();
  private readonly nested2 = new Map<unknown, Map<unknown, T>>();
  private readonly byObject = new Map<unknown, (T | undefined)[]>();
  private readonly nested3 = new Map<unknown, Map<unknown, Map<unknown, T>>>();

  /** The value memoized under the keys, or `undefined`. Keys are never `undefined`. */
  get(a: unknown, b?: unknown, c?: unknown): T | undefined {
    if (packable(a) && packable(b ?? 0) && packable(c ?? 0)) return this.packed.get(pack(a, b ?? 0, c ?? 0));
    if (b === undefined) return this.nested1.get(a);
    if (c === undefined) return objectAndIndex(a, b) ? this.byObject.get(a)?.[b as number] : this.nested2.get(a)?.get(b);
    return this.nested3.get(a)?.get(b)?.get(c);
  }

  /** Memoizes `value` under the keys and returns it. */
  set(value: T, a: unknown, b?: unknown, c?: unknown): T {
    if (packable(a) && packable(b ?? 0) && packable(c ?? 0)) this.packed.set(pack(a, b ?? 0, c ?? 0), value);
    else if (b === undefined) this.nested1.set(a, value);
    else if (c === undefined && objectAndIndex(a, b)) {
      let list = this.byObject.get(a);
      if (!list) this.byObject.set(a, (list = []));
      list[b as number] = value;
    } else if (c === undefined) inner(this.nested2, a).set(b, value);
    else inner(inner(this.nested3, a), b).set(c, value);
    return value;
  }
}

/** A memo of texts: each is flattened (see {@link flat}) when stored. */
export class TextMemo extends Memo<string> {
  override set(text: string, a: unknown, b?: unknown, c?: unknown): string {
    return super.set(flat(text), a, b, c);
  }
}

function inner<K, V>(outer: Map<unknown, Map<K, V>>, key: unknown): Map<K, V> {
  let m = outer.get(key);
  if (!m) outer.set(key, (m = new Map()));
  return m;
}

/** One memo per named template, created on first use; one instance per run. */
export class RunTexts {
  private readonly texts = new Map<string, TextMemo>();
  private readonly values = new Map<string, Memo<unknown>>();

  /** The text memo of the template `name` (e.g. `stale_deal.message`). */
  memo(name: string): TextMemo {
    let m = this.texts.get(name);
    if (!m) this.texts.set(name, (m = new TextMemo()));
    return m;
  }

  /** The memo of shared values `name` (one name holds one type of value; store frozen objects). */
  shared<T>(name: string): Memo<T> {
    let m = this.values.get(name);
    if (!m) this.values.set(name, (m = new Memo<unknown>()));
    return m as Memo<T>;
  }
}
