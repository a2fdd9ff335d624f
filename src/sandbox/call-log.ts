/**
 * What the sandbox saw and what was written to it: every API call (method, path, status,
 * provider, time), counters per endpoint, and every annotation (field update, note, task).
 * Bounded so a long benchmark run cannot grow it without limit.
 */
export type SandboxSurface = 'hubspot' | 'salesforce' | 'admin';

export interface CallLogEntry {
  at: string;
  provider: SandboxSurface;
  method: string;
  path: string;
  /** The route pattern, e.g. `/crm/v3/objects/:objectType/search`. */
  endpoint: string;
  status: number;
  durationMs: number;
  /** Set when the response came from fault injection. */
  fault?: string;
}

export interface Annotation {
  at: string;
  provider: 'hubspot' | 'salesforce';
  kind: 'field_update' | 'note' | 'task';
  /** The deal/opportunity the annotation is about. */
  dealId: string;
  /** The record written (the deal itself for field updates, the note/task otherwise). */
  recordId: string;
  fields: Record<string, unknown>;
}

export class CallLog {
  readonly calls: CallLogEntry[] = [];
  readonly annotations: Annotation[] = [];
  private readonly counters = new Map<string, number>();
  constructor(private readonly maxEntries = 200_000) {}

  record(entry: CallLogEntry): void {
    if (this.calls.length >= this.maxEntries) this.calls.splice(0, Math.ceil(this.maxEntries / 10));
    this.calls.push(entry);
    const key = `${entry.provider} ${entry.method} ${entry.endpoint}`;
    this.counters.set(key, (this.counters.get(key) ?? 0) + 1);
  }

  annotate(annotation: Annotation): void {
    this.annotations.push(annotation);
  }

  /** Calls per `provider METHOD endpoint`. */
  countersSnapshot(): Record<string, number> {
    return Object.fromEntries([...this.counters.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  count(provider?: SandboxSurface): number {
    return provider ? this.calls.filter((c) => c.provider === provider).length : this.calls.length;
  }

  clear(): void {
    this.calls.length = 0;
    this.annotations.length = 0;
    this.counters.clear();
  }
}
