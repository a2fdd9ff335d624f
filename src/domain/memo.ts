/**
 * Values built once per run and shared by every deal that needs the same one. The score's
 * components are the case the engine bench shows it matters for: 100,000 deals carry a few
 * thousand distinct components (a recency part per idle-day count, a velocity part per stage and
 * day count), and building each once keeps the run from allocating and collecting a dozen
 * objects per deal. Shared values are frozen, so no deal can change another's.
 */
export class RunMemo {
  private readonly values = new Map<string, unknown>();

  /** The value stored under `key`, built by `build` the first time it is asked for (`build` must not return undefined). */
  get<T extends object | string | number | boolean | null>(key: string, build: () => T): T {
    let value = this.values.get(key) as T | undefined;
    if (value === undefined) this.values.set(key, (value = build()));
    return value;
  }
}
