/**
 * Full walks over the list endpoints, resumable page by page. A list is ordered by id, not by
 * modification, so its position cannot be a stamp: a page's cursor keeps the instant the walk began
 * as `stamp` (where the incremental pull resumes once the walk is over) and names in `walk` the phase
 * (one list) and HubSpot's returned `paging.next.after` token to continue from, as returned. The
 * tokens have so far been positions in id order rather than server-side sessions, so they stay usable
 * on a later run; a token HubSpot refuses restarts that one list (paging.ts), never skipping a record.
 */
import type { SyncCursor, SyncWalk } from '../../src/domain/model/index.js';

export class FullWalk {
  private constructor(
    /** Phase names in walk order. */
    readonly phases: readonly string[],
    /** Epoch ms at which the walk began. */
    readonly startedMs: number,
    private readonly first: number,
    private readonly firstAfter: string | undefined,
    /** True when this walk continues one that an earlier pull left unfinished. */
    readonly resumed: boolean,
  ) {}

  /**
   * The walk `since` left unfinished, when it names one of `phases`; otherwise a new walk
   * beginning at `nowMs` (`unknown` is then the phase that was not recognised, if any).
   */
  static from(phases: readonly string[], since: SyncCursor | null, nowMs: number): { walk: FullWalk; unknown: SyncWalk | null } {
    const walk = since?.walk;
    if (walk) {
      const index = phases.indexOf(walk.phase);
      if (index >= 0) return { walk: new FullWalk(phases, Date.parse(since.stamp), index, walk.after ?? undefined, true), unknown: null };
      return { walk: new FullWalk(phases, nowMs, 0, undefined, false), unknown: walk };
    }
    return { walk: new FullWalk(phases, nowMs, 0, undefined, false), unknown: null };
  }

  /** Phases still to walk, in order, each with the token its first request starts from. */
  pending(): { phase: string; from: string | undefined }[] {
    return this.phases.slice(this.first).map((phase, i) => ({ phase, from: i === 0 ? this.firstAfter : undefined }));
  }

  /**
   * Cursor to yield with a page of `phase` whose next-page token is `next`: resuming from it
   * continues right after that page. After the last page of the last phase: the walk's start,
   * without `walk`.
   */
  cursorAfter(phase: string, next: string | null): SyncCursor {
    const stamp = new Date(this.startedMs).toISOString();
    if (next !== null) return { stamp, id: '', walk: { phase, after: next } };
    const following = this.phases[this.phases.indexOf(phase) + 1];
    return following === undefined ? { stamp, id: '' } : { stamp, id: '', walk: { phase: following, after: null } };
  }
}
