/**
 * A cursor with `walk` (an unfinished full walk: the list and the provider's paging token) comes
 * back from the store exactly as written and passes the domain schema; moving to a cursor without
 * `walk` clears it, so a completed walk is never mistaken for one in progress.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncCursor } from '../../../src/domain/model/index.js';
import type { Store } from '../../../src/store/index.js';
import { backends } from './backends.js';

for (const backend of backends) {
  describe.skipIf(!backend.available)(`cursor walk on ${backend.name}`, () => {
    let store: Store;
    let dispose: () => Promise<void>;
    beforeAll(async () => {
      ({ store, dispose } = await backend.open());
    }, 180_000);
    afterAll(async () => {
      await dispose?.();
    }, 60_000);

    it('round-trips walk (token byte for byte, null after) and drops it when the walk completes', async () => {
      const c = 'walk';
      const token = 'MTIzNDU2Nzg5MA%3D%3D/+é';
      const walking = { stamp: '2026-11-26T12:00:00.000Z', id: '', walk: { phase: 'deals', after: token } };
      await store.cursors.set(c, 'deals', walking);
      await store.cursors.set(c, 'activities', {
        stamp: '2026-11-26T12:00:00.000Z',
        id: '',
        walk: { phase: 'archived-calls', after: null },
      });
      const read = await store.cursors.get(c, 'deals');
      expect(read).toEqual(walking);
      expect(SyncCursor.parse(read)).toEqual(walking);
      expect(await store.cursors.get(c, 'activities')).toEqual({
        stamp: '2026-11-26T12:00:00.000Z',
        id: '',
        walk: { phase: 'archived-calls', after: null },
      });

      await store.cursors.set(c, 'deals', { stamp: '2026-11-26T12:00:00.000Z', id: '' });
      const done = await store.cursors.get(c, 'deals');
      expect(done).toEqual({ stamp: '2026-11-26T12:00:00.000Z', id: '' });
      expect(done && 'walk' in done).toBe(false);
    });
  });
}
