import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { poolDb } from '../../../src/store/db.js';
import { openStore, StoreError, type Store } from '../../../src/store/index.js';
import { loadMigrations, migrate, migrationStatus } from '../../../src/store/migrator.js';
import { backends, dump, withClient } from './backends.js';
import { activity, deal, finding, owner, score, stageChange, stages } from './builders.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const backend of backends) {
  describe.skipIf(!backend.available)(`store on ${backend.name}`, () => {
    let store: Store;
    let dispose: () => Promise<void>;

    // Starting PGlite (initdb in a fresh directory) takes seconds, more on a busy machine.
    beforeAll(async () => {
      ({ store, dispose } = await backend.open());
    }, 180_000);
    afterAll(async () => {
      await dispose?.();
    }, 60_000);

    describe('migrations', () => {
      it('apply once and are re-runnable, also concurrently', async () => {
        const first = await store.migrationStatus();
        expect(first.pending).toEqual([]);
        expect(first.applied).toContain('001_initial');

        await Promise.all([store.migrate(), store.migrate(), store.migrate()]);
        expect(await store.migrate()).toEqual({ applied: first.applied, pending: [], edited: [], appliedNow: [] });
        const rows = await withClient(store.databaseUrl, async (client) => {
          return (await client.query(`SELECT name FROM "${store.schema}".schema_migrations ORDER BY name`)).rows;
        });
        expect(rows.map((row) => row.name)).toEqual(first.applied);
      });
    });

    describe('migration guard', () => {
      it('applies a new migration later, and refuses one edited after it was applied', async () => {
        // A scratch schema in the same database, so the suite's own schema is untouched.
        const schema = `${store.schema}_mig`.slice(0, 63);
        const pool = new pg.Pool({ connectionString: store.databaseUrl, max: 2 });
        try {
          const db = poolDb(pool);
          const shipped = loadMigrations();
          expect(await migrate(db, schema, shipped)).toEqual({
            applied: shipped.map((m) => m.name),
            pending: [],
            edited: [],
            appliedNow: shipped.map((m) => m.name),
          });

          const next = { name: '999_probe', sql: 'CREATE TABLE __SCHEMA__.probe (id integer PRIMARY KEY);', checksum: 'c999' };
          expect(await migrationStatus(db, schema, [...shipped, next])).toEqual({
            applied: shipped.map((m) => m.name),
            pending: ['999_probe'],
            edited: [],
          });
          expect((await migrate(db, schema, [...shipped, next])).applied).toContain('999_probe');
          expect(await db.query(`SELECT count(*)::int AS n FROM "${schema}".probe`)).toEqual([{ n: 0 }]);

          const edited = { ...next, sql: 'CREATE TABLE __SCHEMA__.probe (id bigint);', checksum: 'c999-edited' };
          const refusal = await migrate(db, schema, [...shipped, edited]).catch((error: unknown) => error);
          expect(refusal).toBeInstanceOf(StoreError);
          expect(refusal).toMatchObject({ code: 'STORE.MIGRATION', message: expect.stringContaining('999_probe was edited') as string });
          // The status that doctor and /readyz read says the same.
          expect(await migrationStatus(db, schema, [...shipped, edited])).toMatchObject({ pending: [], edited: ['999_probe'] });

          const broken = { name: '998_broken', sql: 'CREATE TABLE __SCHEMA__.nope (id nosuchtype);', checksum: 'c998' };
          await expect(migrate(db, schema, [...shipped, broken, next])).rejects.toMatchObject({ code: 'STORE.MIGRATION' });
          // The failed run rolled back as a whole.
          expect((await migrationStatus(db, schema, [...shipped, broken, next])).pending).toEqual(['998_broken']);
        } finally {
          await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          await pool.end();
        }
      });
    });

    describe('idempotent page upserts', () => {
      const c = 'idem';
      const page = Array.from({ length: 30 }, (_, i) => deal(c, `d${String(i).padStart(3, '0')}`, { amount: 1000 + i }));

      it('leave identical rows when the same page is sent twice, updated_at included', async () => {
        const first = await store.deals.upsertPage(c, page);
        expect(first).toMatchObject({ inserted: 30, updated: 0, unchanged: 0 });
        const activities = [activity(c, 'a1', ['d001', 'd002']), activity(c, 'a2', ['d003'])];
        await store.activities.upsertPage(c, activities);
        await store.owners.upsertMany(c, [owner(c, 'u1'), owner(c, 'u2')]);
        await store.stages.replace(c, stages(c));
        await store.history.upsertStageChanges(c, [stageChange(c, 'd001', '2026-11-01T00:00:00.000Z', 'proposal', 'qualification')]);
        await store.scores.upsertMany(c, [score(c, 'd001', 42, 'at_risk')], '2026-11-26T02:00:00.000Z');
        const tables = ['deals', 'activities', 'activity_deals', 'owners', 'stages', 'stage_changes', 'deal_scores'];
        const before = await Promise.all(tables.map((table) => dump(store, table, c)));

        await sleep(20);
        // Same content, other order, keys built in another order: still identical.
        const resent = [...page].reverse().map((d) => Object.fromEntries(Object.entries(d).reverse()) as typeof d);
        expect(await store.deals.upsertPage(c, resent)).toEqual({ inserted: 0, updated: 0, unchanged: 30, changedIds: [] });
        expect(await store.activities.upsertPage(c, [activity(c, 'a2', ['d003']), activity(c, 'a1', ['d002', 'd001'])])).toMatchObject({
          unchanged: 2,
        });
        expect(await store.owners.upsertMany(c, [owner(c, 'u2'), owner(c, 'u1')])).toMatchObject({ unchanged: 2 });
        await store.stages.replace(c, stages(c).reverse());
        expect(
          await store.history.upsertStageChanges(c, [stageChange(c, 'd001', '2026-11-01T00:00:00Z', 'proposal', 'qualification')]),
        ).toMatchObject({ unchanged: 1 });
        expect(await store.scores.upsertMany(c, [score(c, 'd001', 42, 'at_risk')], '2026-11-27T02:00:00.000Z')).toMatchObject({
          unchanged: 1,
        });

        const after = await Promise.all(tables.map((table) => dump(store, table, c)));
        expect(after).toEqual(before);
      });

      it('write a changed record and report it, leaving the others untouched', async () => {
        const before = await dump(store, 'deals', c);
        const result = await store.deals.upsertPage(c, [
          ...page.slice(0, 5),
          { ...page[5]!, stageId: 'proposal' },
          deal(c, 'd999'),
          deal(c, 'd999', { name: 'last one wins' }),
        ]);
        expect(result).toEqual({ inserted: 1, updated: 1, unchanged: 5, changedIds: expect.arrayContaining(['d005', 'd999']) as string[] });
        const after = await dump(store, 'deals', c);
        const changed = (rows: unknown[], id: string) => rows.find((row) => (row as { external_id: string }).external_id === id);
        expect(changed(after, 'd000')).toEqual(changed(before, 'd000'));
        expect(changed(after, 'd005')).not.toEqual(changed(before, 'd005'));
        expect(await store.deals.get(c, 'd999')).toMatchObject({ name: 'last one wins' });
        expect(await store.deals.get(c, 'd005')).toEqual({ ...page[5], stageId: 'proposal' });
      });

      it('round-trip every field of a deal', async () => {
        const full = deal(c, 'full', { discountPercent: 12.5, lostReason: 'Price', amount: 1234567.89, deletedAt: null });
        await store.deals.upsertPage(c, [full]);
        expect(await store.deals.get(c, 'full')).toEqual(full);
      });

      it('bring activity-deal links in line with the activity', async () => {
        await store.activities.upsertPage(c, [activity(c, 'a1', ['d002', 'd004'], { subject: 'moved' })]);
        expect((await store.activities.forDeals(c, ['d001'])).map((a) => a.externalId)).toEqual([]);
        expect((await store.activities.forDeals(c, ['d004'])).map((a) => a.externalId)).toEqual(['a1']);
        const links = await dump(store, 'activity_deals', c);
        expect(links).toEqual([
          { connection_id: c, deal_id: 'd002', activity_id: 'a1' },
          { connection_id: c, deal_id: 'd003', activity_id: 'a2' },
          { connection_id: c, deal_id: 'd004', activity_id: 'a1' },
        ]);
      });
    });

    describe('tombstones', () => {
      const c = 'tomb';

      it('mark a deal deleted without losing its history, activities, score or findings', async () => {
        await store.deals.upsertPage(c, [deal(c, 'x1'), deal(c, 'x2')]);
        await store.activities.upsertPage(c, [activity(c, 'ax', ['x1'])]);
        await store.history.upsertStageChanges(c, [stageChange(c, 'x1', '2026-10-01T00:00:00.000Z', 'qualification')]);
        await store.scores.upsertMany(c, [score(c, 'x1', 30, 'critical')], '2026-11-26T02:00:00.000Z');
        await store.findings.applyDiff(
          c,
          { opened: [{ finding: finding(c, 'x1', 'stale_deal'), annotationKey: 'k-x1' }], stillOpen: [], resolved: [] },
          '2026-11-26T02:00:00.000Z',
        );

        expect(await store.deals.tombstone(c, ['x1', 'nope'], '2026-11-26T03:00:00.000Z')).toEqual(['x1']);
        expect(await store.deals.tombstone(c, ['x1'], '2026-11-26T04:00:00.000Z')).toEqual([]);

        expect(await store.deals.get(c, 'x1')).toMatchObject({ isDeleted: true, deletedAt: '2026-11-26T03:00:00.000Z', name: 'Deal x1' });
        // The webhook path's batch read: tombstoned ones too (a late event must not revive them), unknown ids left out.
        expect((await store.deals.getMany(c, ['x2', 'nope', 'x1'])).map((d) => [d.externalId, d.isDeleted])).toEqual([
          ['x1', true],
          ['x2', false],
        ]);
        expect(await store.deals.getMany(c, [])).toEqual([]);
        expect((await store.deals.loadOpen(c)).map((d) => d.externalId)).toEqual(['x2']);
        expect((await store.deals.list(c)).items.map((i) => i.deal.externalId)).toEqual(['x2']);
        expect((await store.deals.list(c, { includeDeleted: true })).items.map((i) => i.deal.externalId)).toEqual(['x1', 'x2']);
        expect(await store.history.stageChanges(c, { dealIds: ['x1'] })).toHaveLength(1);
        expect(await store.activities.forDeals(c, ['x1'])).toHaveLength(1);
        expect(await store.scores.get(c, 'x1')).not.toBeNull();
        expect(await store.findings.openForDeals(c, ['x1'])).toHaveLength(1);
        expect(await store.deals.count(c)).toEqual({ open: 1, closed: 0, deleted: 1 });
      });

      it('are undone when the deal comes back alive, even with its old content', async () => {
        const result = await store.deals.upsertPage(c, [deal(c, 'x1')]);
        expect(result.changedIds).toEqual(['x1']);
        expect(await store.deals.get(c, 'x1')).toMatchObject({ isDeleted: false, deletedAt: null });
      });

      it('reconcile a full id list: what is absent becomes a tombstone', async () => {
        expect(await store.deals.tombstoneAllExcept(c, ['x2'], '2026-11-26T05:00:00.000Z')).toEqual(['x1']);
        expect(await store.deals.count(c)).toEqual({ open: 1, closed: 0, deleted: 1 });
      });
    });

    describe('connection scoping', () => {
      const [a, b] = ['scope-a', 'scope-b'];

      it('never shows one connection the rows of another', async () => {
        for (const c of [a, b]) {
          await store.owners.upsertMany(c, [owner(c, 'u1', { name: `rep of ${c}` })]);
          await store.stages.replace(c, stages(c));
          await store.deals.upsertPage(c, [deal(c, 'same-id', { name: `deal of ${c}` }), deal(c, `only-${c}`)]);
          await store.activities.upsertPage(c, [activity(c, 'act', ['same-id'], { subject: `call of ${c}` })]);
          await store.history.upsertStageChanges(c, [stageChange(c, 'same-id', '2026-11-01T00:00:00.000Z', 'proposal')]);
          await store.scores.upsertMany(
            c,
            [score(c, 'same-id', c === a ? 80 : 20, c === a ? 'healthy' : 'critical')],
            '2026-11-26T00:00:00.000Z',
          );
          await store.findings.applyDiff(
            c,
            { opened: [{ finding: finding(c, 'same-id', `rule_${c}`), annotationKey: 'same-key' }], stillOpen: [], resolved: [] },
            '2026-11-26T00:00:00.000Z',
          );
          await store.cursors.set(c, 'deals', { stamp: `2026-11-2${c === a ? 1 : 2}T00:00:00Z`, id: c });
          await store.snapshots.take(c, '2026-11-26');
        }
        await store.deals.tombstone(b, ['same-id'], '2026-11-26T01:00:00.000Z');
        await store.connectionState.pause(b, 'auth revoked', '2026-11-26T01:00:00.000Z');

        const seenByA = JSON.stringify([
          await store.owners.list(a),
          await store.stages.list(a),
          await store.deals.get(a, 'same-id'),
          await store.deals.list(a, { state: 'all', includeDeleted: true }),
          await store.deals.loadOpen(a),
          await store.deals.changedSince(a, '2000-01-01T00:00:00Z'),
          await store.activities.forDeals(a, ['same-id']),
          await store.history.stageChanges(a),
          await store.scores.forDeals(a, ['same-id']),
          await store.findings.list(a),
          await store.findings.getByKey(a, 'same-key'),
          await store.cursors.get(a, 'deals'),
          await store.snapshots.read(a, '2026-11-01', '2026-11-30'),
          await store.connectionState.get(a),
        ]);
        expect(seenByA).not.toContain(b);
        expect(await store.deals.get(a, 'same-id')).toMatchObject({ name: `deal of ${a}`, isDeleted: false });
        expect((await store.deals.list(a, { ruleId: `rule_${b}` })).items).toEqual([]);
        expect((await store.deals.list(a, { band: 'critical' })).items).toEqual([]);
        expect(await store.connectionState.get(a)).toMatchObject({ pausedReason: null });
        expect(await store.deals.count(a)).toEqual({ open: 2, closed: 0, deleted: 0 });
      });

      it('refuses records of another connection in a page', async () => {
        await expect(store.deals.upsertPage(a, [deal(b, 'stray')])).rejects.toThrow(/connection scope-b written to connection scope-a/);
      });
    });

    describe('keyset pagination', () => {
      const c = 'pages';

      it('returns every deal exactly once, in order, whatever the page size', async () => {
        // Repeated names force the tie-break on external id.
        const deals = Array.from({ length: 137 }, (_, i) =>
          deal(c, `p${i}`, { name: `Account ${i % 9}`, ownerId: i % 2 ? 'odd' : 'even' }),
        );
        await store.deals.upsertPage(c, deals);
        for (const limit of [1, 7, 50, 1000]) {
          const seen: string[] = [];
          let cursor: string | null = null;
          do {
            const page = await store.deals.list(c, { limit, cursor });
            expect(page.items.length).toBeLessThanOrEqual(limit);
            seen.push(...page.items.map((item) => item.deal.externalId));
            cursor = page.nextCursor;
          } while (cursor !== null);
          expect(seen).toHaveLength(137);
          expect(new Set(seen).size).toBe(137);
          const expected = [...deals].sort((x, y) =>
            x.name === y.name ? (x.externalId < y.externalId ? -1 : 1) : x.name < y.name ? -1 : 1,
          );
          expect(seen).toEqual(expected.map((d) => d.externalId));
        }
      });

      it('paginates a filtered list too', async () => {
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const page = await store.deals.list(c, { limit: 10, cursor, ownerId: 'odd' });
          seen.push(...page.items.map((item) => item.deal.externalId));
          cursor = page.nextCursor;
        } while (cursor !== null);
        expect(seen).toHaveLength(68);
        expect(new Set(seen).size).toBe(68);
      });

      it('rejects a forged cursor', async () => {
        await expect(store.deals.list(c, { cursor: 'not-a-cursor' })).rejects.toThrow(RangeError);
      });

      it('walks every sort order both ways, nulls included, with the inspection filters', async () => {
        const s = 'sorted';
        // Amounts, close dates and scores repeat and are sometimes missing: ties and nulls both.
        const deals = Array.from({ length: 61 }, (_, i) =>
          deal(s, `q${String(i).padStart(2, '0')}`, {
            amount: i % 5 === 0 ? null : (i % 7) * 1000,
            closeDate: i % 6 === 0 ? null : `2026-12-${String(1 + (i % 4)).padStart(2, '0')}`,
            ownerId: `o${i % 3}`,
            accountIsTarget: i % 8 === 1 ? true : null,
          }),
        );
        await store.deals.upsertPage(s, deals);
        await store.scores.upsertMany(
          s,
          deals.filter((_, i) => i % 3 !== 0).map((d, i) => score(s, d.externalId, (i * 17) % 100, 'at_risk')),
          '2026-11-20T00:00:00Z',
        );
        const walk = async (query: Parameters<Store['deals']['list']>[1]) => {
          const seen: string[] = [];
          let cursor: string | null = null;
          do {
            const page = await store.deals.list(s, { ...query, limit: 4, cursor });
            seen.push(...page.items.map((item) => item.deal.externalId));
            cursor = page.nextCursor;
          } while (cursor !== null);
          return seen;
        };
        const all = (await store.deals.list(s, { limit: 1000 })).items;
        for (const sort of ['name', 'amount', 'closeDate', 'score'] as const) {
          for (const direction of ['asc', 'desc'] as const) {
            const seen = await walk({ sort, direction });
            expect(new Set(seen).size, `${sort} ${direction}`).toBe(61);
            const key = (item: (typeof all)[number]): number | string =>
              sort === 'amount'
                ? (item.deal.amount ?? -1e30)
                : sort === 'closeDate'
                  ? (item.deal.closeDate ?? '9999-12-31')
                  : sort === 'score'
                    ? (item.score?.score ?? -1)
                    : item.deal.name;
            const expected = [...all]
              .sort((x, y) => (key(x) === key(y) ? (x.deal.externalId < y.deal.externalId ? -1 : 1) : key(x) < key(y) ? -1 : 1))
              .map((item) => item.deal.externalId);
            expect(seen, `${sort} ${direction}`).toEqual(direction === 'asc' ? expected : expected.reverse());
          }
        }
        const filter = { ownerIds: ['o1', 'o2'], closeFrom: '2026-12-02', closeTo: '2026-12-03', keyAccount: true } as const;
        const filtered = await walk({ ...filter, sort: 'amount', direction: 'desc' });
        const matching = deals.filter(
          (d) =>
            ['o1', 'o2'].includes(d.ownerId!) &&
            d.closeDate !== null &&
            d.closeDate >= '2026-12-02' &&
            d.closeDate <= '2026-12-03' &&
            d.accountIsTarget === true,
        );
        expect(matching.length).toBeGreaterThan(0);
        expect([...filtered].sort()).toEqual(matching.map((d) => d.externalId).sort());
        expect(await store.deals.countMatching(s, filter)).toBe(matching.length);
        expect(await store.deals.countMatching(s, { ownerIds: [] })).toBe(0);
        const picked = await store.deals.list(s, { externalIds: ['q03', 'q40', 'nope'], limit: 10 });
        expect(picked.items.map((item) => item.deal.externalId)).toEqual(['q03', 'q40']);

        const histogram = await store.scores.histogram(s, 10);
        expect(histogram.reduce((n, b) => n + b.deals, 0)).toBe(deals.filter((_, i) => i % 3 !== 0).length);
        expect(histogram.every((b) => b.from % 10 === 0 && b.band === 'at_risk')).toBe(true);
      });
    });

    describe('findings ledger', () => {
      const c = 'ledger';
      const t0 = '2026-11-20T02:00:00.000Z';
      const t1 = '2026-11-21T02:00:00.000Z';
      const t2 = '2026-11-22T02:00:00.000Z';

      it('opens, refreshes, resolves and reopens one row per deal and rule', async () => {
        await store.deals.upsertPage(c, [deal(c, 'f1'), deal(c, 'f2')]);
        const opened = [
          { finding: finding(c, 'f1', 'stale_deal'), annotationKey: 'k1' },
          { finding: finding(c, 'f2', 'no_next_step'), annotationKey: 'k2' },
        ];
        await store.findings.applyDiff(c, { opened, stillOpen: [], resolved: [] }, t0);
        // A retried pass does not replace the key of an open finding.
        await store.findings.applyDiff(c, { opened: [{ ...opened[0]!, annotationKey: 'k1-retry' }], stillOpen: [], resolved: [] }, t0);
        expect((await store.findings.openForDeals(c)).map((f) => [f.dealId, f.annotationKey, f.writeStatus])).toEqual([
          ['f1', 'k1', 'planned'],
          ['f2', 'k2', 'planned'],
        ]);
        expect((await store.deals.list(c, { ruleId: 'stale_deal' })).items.map((i) => [i.deal.externalId, i.openRuleIds])).toEqual([
          ['f1', ['stale_deal']],
        ]);

        await store.findings.setWriteStatus(c, [{ annotationKey: 'k1', status: 'pending' }]);
        await store.findings.setWriteStatus(c, [
          { annotationKey: 'k1', status: 'written', externalId: 'note-1' },
          { annotationKey: 'k2', status: 'failed', error: 'CRM.TRANSIENT' },
        ]);
        expect((await store.findings.unwritten(c)).map((f) => f.annotationKey)).toEqual(['k2']);

        await store.findings.applyDiff(
          c,
          { opened: [], stillOpen: [finding(c, 'f1', 'stale_deal', 22)], resolved: [{ dealId: 'f2', ruleId: 'no_next_step' }] },
          t1,
        );
        expect(await store.findings.getByKey(c, 'k1')).toMatchObject({
          status: 'open',
          firstSeenAt: t0,
          lastSeenAt: t1,
          message: 'No activity in 22 days',
          externalId: 'note-1',
          writeStatus: 'written',
          writeAttempts: 1,
        });
        expect(await store.findings.getByKey(c, 'k2')).toMatchObject({ status: 'resolved', resolvedAt: t1, writeAttempts: 1 });
        expect(await store.findings.unwritten(c)).toEqual([]);

        await store.findings.applyDiff(
          c,
          { opened: [{ finding: finding(c, 'f2', 'no_next_step'), annotationKey: 'k2-again' }], stillOpen: [], resolved: [] },
          t2,
        );
        expect(await store.findings.getByKey(c, 'k2')).toBeNull();
        expect(await store.findings.getByKey(c, 'k2-again')).toMatchObject({
          status: 'open',
          firstSeenAt: t2,
          resolvedAt: null,
          externalId: null,
          writeStatus: 'planned',
          writeAttempts: 0,
        });
        expect(await store.findings.list(c)).toHaveLength(2);
      });

      it(
        'keeps one warning record per deal: due on every open or resolve, in place until closed and ' + 'written, then a new record',
        async () => {
          const w = 'records';
          const t3 = '2026-11-23T02:00:00.000Z';
          await store.deals.upsertPage(w, [deal(w, 'r1'), deal(w, 'r2')]);
          const open = (deal: string, rule: string) => ({
            finding: finding(w, deal, rule),
            annotationKey: `${deal}:${rule}:${Math.random()}`,
          });
          await store.findings.applyDiff(
            w,
            { opened: [open('r1', 'stale_deal'), open('r1', 'no_next_step')], stillOpen: [], resolved: [] },
            t0,
          );
          const [first] = await store.findings.recordsDue(w);
          expect(first).toMatchObject({
            dealId: 'r1',
            state: 'open',
            openedAt: t0,
            changedAt: t0,
            externalId: null,
            createSent: false,
            writeStatus: 'planned',
          });
          expect(await store.findings.recordsDue(w)).toHaveLength(1); // one per deal, not per finding

          // Written; then a finding resolves: the same record is due again, with its id and key.
          await store.findings.setRecordStatus(w, [{ dealId: 'r1', recordKey: first!.recordKey, status: 'pending', createSent: true }]);
          await store.findings.setRecordStatus(w, [
            { dealId: 'r1', recordKey: first!.recordKey, status: 'written', changedAt: t0, externalId: 'task-1' },
          ]);
          expect(await store.findings.recordsDue(w)).toEqual([]);
          await store.findings.applyDiff(
            w,
            { opened: [], stillOpen: [finding(w, 'r1', 'no_next_step')], resolved: [{ dealId: 'r1', ruleId: 'stale_deal' }] },
            t1,
          );
          expect(await store.findings.warningRecord(w, 'r1')).toMatchObject({
            recordKey: first!.recordKey,
            externalId: 'task-1',
            state: 'open',
            changedAt: t1,
            writeStatus: 'planned',
          });

          // A write answering the older change does not mark the newer one written (it keeps the id).
          await store.findings.setRecordStatus(w, [
            { dealId: 'r1', recordKey: first!.recordKey, status: 'written', changedAt: t0, externalId: 'task-1' },
          ]);
          expect((await store.findings.warningRecord(w, 'r1'))?.writeStatus).toBe('planned');

          // Everything resolves: closed (due, to close it in the CRM), in place.
          await store.findings.applyDiff(w, { opened: [], stillOpen: [], resolved: [{ dealId: 'r1', ruleId: 'no_next_step' }] }, t2);
          expect(await store.findings.warningRecord(w, 'r1')).toMatchObject({
            recordKey: first!.recordKey,
            externalId: 'task-1',
            state: 'closed',
            writeStatus: 'planned',
          });
          await store.findings.setRecordStatus(w, [
            { dealId: 'r1', recordKey: first!.recordKey, status: 'written', changedAt: t2, externalId: 'task-1' },
          ]);

          // A new finding after the close was written starts a new record, under a new key.
          await store.findings.applyDiff(w, { opened: [open('r1', 'stale_deal')], stillOpen: [], resolved: [] }, t3);
          const next = await store.findings.warningRecord(w, 'r1');
          expect(next).toMatchObject({
            state: 'open',
            openedAt: t3,
            externalId: null,
            createSent: false,
            writeStatus: 'planned',
            writeAttempts: 0,
          });
          expect(next?.recordKey).not.toBe(first!.recordKey);
          // The findings of a deal, for its text: the resolved ones too.
          expect((await store.findings.forDeals(w, ['r1'])).map((f) => [f.ruleId, f.status])).toEqual([
            ['no_next_step', 'resolved'],
            ['stale_deal', 'open'],
          ]);
          // A deal whose only finding resolved before any record existed gets none.
          await store.findings.applyDiff(w, { opened: [], stillOpen: [], resolved: [{ dealId: 'r2', ruleId: 'stale_deal' }] }, t3);
          expect(await store.findings.warningRecord(w, 'r2')).toBeNull();
        },
      );

      it('keeps the CRM fields due until written, and due again only when score or flags move', async () => {
        const d = 'fields';
        await store.deals.upsertPage(d, [deal(d, 'a'), deal(d, 'b')]);
        await store.scores.upsertMany(d, [score(d, 'a', 40, 'at_risk'), score(d, 'b', 90, 'healthy')], t0);
        await store.findings.applyDiff(
          d,
          { opened: [{ finding: finding(d, 'a', 'stale_deal'), annotationKey: 'fa' }], stillOpen: [], resolved: [] },
          t0,
        );
        expect(await store.scores.fieldsDue(d)).toEqual([
          { dealId: 'a', score: 40, flags: ['stale_deal'] },
          { dealId: 'b', score: 90, flags: [] },
        ]);
        expect(await store.scores.fieldsDue(d, { dealIds: ['b'] })).toEqual([{ dealId: 'b', score: 90, flags: [] }]);

        await store.scores.markFieldsWritten(d, [{ dealId: 'a', score: 40, flags: ['stale_deal'] }]);
        expect((await store.scores.fieldsDue(d)).map((f) => f.dealId)).toEqual(['b']);
        await store.scores.markFieldsWritten(d, [{ dealId: 'b', score: 90, flags: [] }]);
        expect(await store.scores.fieldsDue(d)).toEqual([]);

        // Re-scoring to the same value changes nothing; a resolved flag makes the fields due.
        await store.scores.upsertMany(d, [score(d, 'a', 40, 'at_risk')], t1);
        expect(await store.scores.fieldsDue(d)).toEqual([]);
        await store.findings.applyDiff(d, { opened: [], stillOpen: [], resolved: [{ dealId: 'a', ruleId: 'stale_deal' }] }, t1);
        expect(await store.scores.fieldsDue(d)).toEqual([{ dealId: 'a', score: 40, flags: [] }]);
      });
    });

    describe('snapshots, cursors, runs and state', () => {
      const c = 'ops';

      it('snapshots a day idempotently and reads a range', async () => {
        await store.deals.upsertPage(c, [deal(c, 's1'), deal(c, 's2', { isClosed: true, isWon: true, stageId: 'closedwon' })]);
        expect(await store.snapshots.take(c, '2026-11-25')).toBe(2);
        await store.deals.upsertPage(c, [deal(c, 's1', { amount: 99 })]);
        expect(await store.snapshots.take(c, '2026-11-26')).toBe(2);
        expect(await store.snapshots.take(c, '2026-11-26')).toBe(2);
        const rows = await store.snapshots.read(c, '2026-11-25', '2026-11-26');
        expect(rows.map((r) => [r.day, r.dealId, r.amount])).toEqual([
          ['2026-11-25', 's1', 12_500.5],
          ['2026-11-25', 's2', 12_500.5],
          ['2026-11-26', 's1', 99],
          ['2026-11-26', 's2', 12_500.5],
        ]);
        expect(await store.snapshots.days(c)).toEqual(['2026-11-26', '2026-11-25']);
        expect((await store.deals.loadClosedSince(c, '2026-01-01')).map((d) => d.externalId)).toEqual(['s2']);
      });

      it('keeps cursors byte for byte per stream', async () => {
        expect(await store.cursors.get(c, 'deals')).toBeNull();
        await store.cursors.set(c, 'deals', { stamp: '2026-11-26T01:02:03.456+00:00', id: '006A' });
        await store.cursors.set(c, 'activities', { stamp: '2026-11-26T00:00:00Z', id: 'x' });
        expect(await store.cursors.get(c, 'deals')).toEqual({ stamp: '2026-11-26T01:02:03.456+00:00', id: '006A' });
        await store.cursors.reset(c, 'deals');
        expect(await store.cursors.get(c, 'deals')).toBeNull();
        expect(await store.cursors.get(c, 'activities')).not.toBeNull();
      });

      it('records sync runs and connection state', async () => {
        const id = await store.syncRuns.start(c, { mode: 'incremental', trigger: 'schedule', startedAt: '2026-11-26T02:00:00.000Z' });
        await store.syncRuns.finish(c, id, {
          status: 'partial',
          finishedAt: '2026-11-26T02:01:00.000Z',
          counts: { deals: 10, activities: 4 },
          apiUsage: { calls: 3, byEndpoint: { 'GET /deals': 3 }, rateLimited: 1, quota: null },
          error: 'CRM.RATE_LIMITED: gave up after 5 retries',
        });
        expect(await store.syncRuns.latest(c)).toEqual([
          {
            id,
            connectionId: c,
            mode: 'incremental',
            trigger: 'schedule',
            status: 'partial',
            startedAt: '2026-11-26T02:00:00.000Z',
            finishedAt: '2026-11-26T02:01:00.000Z',
            counts: { deals: 10, activities: 4 },
            apiUsage: { calls: 3, byEndpoint: { 'GET /deals': 3 }, rateLimited: 1, quota: null },
            error: 'CRM.RATE_LIMITED: gave up after 5 retries',
          },
        ]);
        expect(await store.syncRuns.get('other', id)).toBeNull();

        expect(await store.connectionState.recordFailure(c, '2026-11-26T02:01:00.000Z')).toBe(1);
        expect(await store.connectionState.recordFailure(c, '2026-11-26T03:01:00.000Z')).toBe(2);
        await store.connectionState.pause(c, 'auth revoked', '2026-11-26T03:01:00.000Z');
        expect(await store.connectionState.get(c)).toMatchObject({ pausedReason: 'auth revoked', consecutiveFailures: 2 });
        await store.connectionState.resume(c);
        await store.connectionState.recordSuccess(c, '2026-11-26T04:00:00.000Z');
        expect(await store.connectionState.get(c)).toEqual({
          connectionId: c,
          pausedReason: null,
          pausedAt: null,
          consecutiveFailures: 0,
          lastSuccessAt: '2026-11-26T04:00:00.000Z',
          lastFailureAt: '2026-11-26T03:01:00.000Z',
        });
      });

      it('records configured connections without secrets', async () => {
        await store.connections.upsertFromConfig([
          {
            id: 'cfg-hs',
            provider: 'hubspot',
            accessToken: 'pat-secret',
            baseUrl: 'https://api.hubapi.com',
            schedule: { cron: '0 2 * * *', timezone: 'Europe/Berlin' },
            fieldMap: {},
            writeback: 'dry-run',
            rules: {},
            reportingCurrency: 'EUR',
            fiscalYearStartMonth: 1,
            lookbackMinutes: 10,
          },
        ]);
        expect(await store.connections.list()).toEqual([
          { id: 'cfg-hs', provider: 'hubspot', name: 'cfg-hs', timezone: 'Europe/Berlin', reportingCurrency: 'EUR' },
        ]);
        expect(JSON.stringify(await dump(store, 'connection_state', 'cfg-hs'))).not.toContain('pat-secret');
        await store.connections.upsertFromConfig([]);
        expect(await store.connections.list()).toEqual([]);
        expect(await store.connections.get('cfg-hs')).not.toBeNull();
      });
    });

    describe('transactions', () => {
      it('roll back every write when the work throws', async () => {
        const c = 'tx';
        await expect(
          store.transaction(async (tx) => {
            await tx.deals.upsertPage(c, [deal(c, 't1')]);
            await tx.cursors.set(c, 'deals', { stamp: '2026-11-26T00:00:00Z', id: 't1' });
            throw new Error('crash after the page');
          }),
        ).rejects.toThrow('crash after the page');
        expect(await store.deals.get(c, 't1')).toBeNull();
        expect(await store.cursors.get(c, 'deals')).toBeNull();
        await store.transaction(async (tx) => {
          await tx.deals.upsertPage(c, [deal(c, 't1')]);
          await tx.cursors.set(c, 'deals', { stamp: '2026-11-26T00:00:00Z', id: 't1' });
        });
        expect(await store.deals.get(c, 't1')).not.toBeNull();
      });
    });
  });
}

describe('opening a store on a server that does not answer', () => {
  it('fails with STORE.UNAVAILABLE naming the host, never the password', async () => {
    const error = await openStore({ databaseUrl: 'postgres://dealwatch:s3cret-pw@127.0.0.1:1/dealwatch' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: 'STORE.UNAVAILABLE', message: expect.stringContaining('127.0.0.1:1/dealwatch') as string });
    expect((error as Error).message).not.toContain('s3cret-pw');
  });
});
