/**
 * Open query cursors (query locators). `nextRecordsUrl` is `/services/data/vXX.X/query/<id>-<offset>`
 * as in Salesforce; a cursor idle longer than its lifetime (sandbox clock) is gone, and using it
 * answers INVALID_QUERY_LOCATOR. Like Salesforce, at most 10 are open at once (per user; the
 * sandbox has one integration user): opening an 11th drops the least recently used.
 */
export const MAX_OPEN_CURSORS = 10;
import { randomBytes } from 'node:crypto';
import type { CompiledQuery } from '../soql/execute.js';

interface Cursor {
  compiled: CompiledQuery;
  batchSize: number;
  lastUsed: number;
}

export class QueryCursors {
  private readonly cursors = new Map<string, Cursor>();
  constructor(
    private readonly ttlMs: () => number,
    private readonly now: () => number,
  ) {}

  open(compiled: CompiledQuery, batchSize: number): string {
    this.sweep();
    while (this.cursors.size >= MAX_OPEN_CURSORS) {
      let oldest: string | null = null;
      let oldestUse = Infinity;
      for (const [id, c] of this.cursors) if (c.lastUsed < oldestUse) [oldest, oldestUse] = [id, c.lastUsed];
      if (oldest === null) break;
      this.cursors.delete(oldest);
    }
    // 01g + 15 more characters, like a real locator id.
    const id = `01g${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x').slice(0, 15)}`;
    this.cursors.set(id, { compiled, batchSize, lastUsed: this.now() });
    return id;
  }

  /** The cursor for a locator `<id>-<offset>`, or null when unknown or expired. */
  take(locator: string): { id: string; offset: number; cursor: Cursor } | null {
    const m = /^(01g[A-Za-z0-9]+)-(\d+)$/.exec(locator);
    if (!m) return null;
    const cursor = this.cursors.get(m[1] as string);
    if (!cursor) return null;
    if (this.now() - cursor.lastUsed > this.ttlMs()) {
      this.cursors.delete(m[1] as string);
      return null;
    }
    cursor.lastUsed = this.now();
    return { id: m[1] as string, offset: Number(m[2]), cursor };
  }

  close(id: string): void {
    this.cursors.delete(id);
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, c] of this.cursors) if (now - c.lastUsed > this.ttlMs()) this.cursors.delete(id);
  }

  get size(): number {
    return this.cursors.size;
  }
}
