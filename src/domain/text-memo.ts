/**
 * Texts memoized for one run under up to three keys (numbers, strings or objects, compared with
 * SameValueZero). A book of 100,000 deals says "No logged activity in 23 days (team threshold
 * 14)." tens of thousands of times with a few thousand distinct values: building each text once
 * and sharing it saves the building, and the garbage collector then keeps one string per distinct
 * text instead of one per deal (measured in BENCHMARKS.md, engine).
 */
import { flat } from './strings.js';

export class TextMemo {
  private readonly root = new Map<unknown, Map<unknown, Map<unknown, string>>>();

  /** The text memoized under the keys, or `undefined`. */
  get(a: unknown, b: unknown = 0, c: unknown = 0): string | undefined {
    return this.root.get(a)?.get(b)?.get(c);
  }

  /** Memoizes `text`, flattened (see {@link flat}), under the keys and returns it. */
  set(text: string, a: unknown, b: unknown = 0, c: unknown = 0): string {
    let byB = this.root.get(a);
    if (!byB) this.root.set(a, (byB = new Map()));
    let byC = byB.get(b);
    if (!byC) byB.set(b, (byC = new Map()));
    const s = flat(text);
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
