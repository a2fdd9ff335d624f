/**
 * (both) A deal's discount approval is a task of its own, assigned to the approver: on Salesforce a
 * Task whose OwnerId is the approver, on HubSpot a task whose hubspot_owner_id is the approver, even
 * though the HubSpot connection writes its warnings as notes. Planned without writing in dry-run,
 * created once, not rewritten by a sync in which nothing changed, completed when the discount
 * finding resolves (the discount brought within the limit, or the deal closed). The rep's one
 * warning record per deal is unaffected: the approval task is told apart by its key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionSettings } from '../../../src/domain/model/index.js';
import type { Rep } from '../../../src/sandbox/generator/book.js';
import { startHarness, type Harness } from './harness.js';
import { machineText, openRecordsPerDeal, writtenRecords, type WrittenRecord } from './warning-records.js';

const CONNECTIONS = [
  { id: 'hs', provider: 'hubspot' },
  { id: 'sf', provider: 'salesforce' },
] as const;
const name = (r: Rep) => `${r.firstName} ${r.lastName}`.trim();

describe('discount approvals are tasks assigned to the approver (HubSpot, Salesforce)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ store: 'embedded', queues: 'pglite', deals: 40, writeback: 'dry-run' });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('creates one approval task per deal, owned by the approver, kept across syncs, completed when the finding resolves', async () => {
    const picked = new Map<string, { lowered: number; closed: number; cfo: Rep; managerOf: (i: number) => string }>();
    for (const c of CONNECTIONS) {
      const book = h.sandbox.state[c.provider];
      const open = book.deals
        .map((d, i) => ({ d, i }))
        .filter(({ d }) => !d.deleted && !book.pipelines[d.pipeline]!.stages[d.stage]!.isClosed);
      const lowered = open[0]!.i;
      const closed = open[1]!.i;
      const repOf = (i: number) => book.reps[book.deals[i]!.owner]!;
      const cfo = book.reps.find((r) => r.id !== repOf(lowered).id && r.id !== repOf(closed).id)!;
      // `lowered`: the CFO tier (mapped to a user); `closed`: the VP Sales tier (not mapped: the
      // rep's manager on Salesforce, the rep on HubSpot, whose owners have no manager).
      Object.assign(book.deals[lowered]!, { amount: 200_000, discount: 35 });
      Object.assign(book.deals[closed]!, { amount: 20_000, discount: 30 });
      const lead = (i: number) => book.reps.find((x) => x.team === repOf(i).team)!;
      const managerOf = (i: number) => (c.provider === 'salesforce' && lead(i).id !== repOf(i).id ? lead(i).id : repOf(i).id);
      picked.set(c.id, { lowered, closed, cfo, managerOf });
      const s = h.settings.findIndex((x) => x.id === c.id);
      h.settings[s] = ConnectionSettings.parse({ ...h.settings[s], rules: { discount_over_limit: { approvers: { CFO: cfo.id } } } });
    }
    const dealId = (provider: 'hubspot' | 'salesforce', i: number) => h.sandbox.state[provider].deals[i]!.id;
    const approvals = (provider: 'hubspot' | 'salesforce', i: number): WrittenRecord[] =>
      writtenRecords(h.sandbox, provider).filter((r) => r.role === 'approval' && r.dealId === dealId(provider, i));
    /** The assignee as the CRM holds it (the sandbox's record of the task). */
    const assignee = (provider: 'hubspot' | 'salesforce', recordId: string) => {
      const book = h.sandbox.state[provider];
      const activity = book.activities.find((a) => a.id === recordId);
      return activity ? book.reps[activity.owner]?.id : undefined;
    };

    // Dry-run: planned in the ledger, nothing written.
    for (const c of CONNECTIONS) {
      expect((await h.sync(c.id, 'full')).filter((o) => o.state === 'failed')).toEqual([]);
      const { lowered } = picked.get(c.id)!;
      expect(await h.store.findings.warningRecord(c.id, dealId(c.provider, lowered), 'approval')).toMatchObject({
        state: 'open',
        writeStatus: 'planned',
        externalId: null,
      });
      expect(approvals(c.provider, lowered)).toEqual([]);
    }
    for (const [i, s] of h.settings.entries()) h.settings[i] = ConnectionSettings.parse({ ...s, writeback: 'on' });

    // Written: one open approval task per deal, assigned to the approver, its key out of what is read.
    const writes = new Map<string, number>();
    for (const c of CONNECTIONS) {
      expect((await h.sync(c.id, 'incremental')).filter((o) => o.state === 'failed')).toEqual([]);
      const { lowered, closed, cfo, managerOf } = picked.get(c.id)!;
      for (const [i, approver] of [
        [lowered, cfo.id],
        [closed, managerOf(closed)],
      ] as const) {
        const tasks = approvals(c.provider, i);
        expect(tasks, `${c.id}: deal ${dealId(c.provider, i)}`).toHaveLength(1);
        expect(tasks[0]).toMatchObject({ open: true, ownerId: approver });
        expect(assignee(c.provider, tasks[0]!.recordId)).toBe(approver);
        expect(tasks[0]!.text).toContain('needs your approval for a discount');
        expect(machineText(tasks[0]!.text)).toEqual([]);
        const ledger = await h.store.findings.warningRecord(c.id, dealId(c.provider, i), 'approval');
        expect(ledger).toMatchObject({ state: 'open', writeStatus: 'written', externalId: tasks[0]!.recordId });
      }
      // The rep's warning names the approver and stays the one warning record of the deal.
      const warning = writtenRecords(h.sandbox, c.provider).filter(
        (r) => r.role === 'warning' && r.open && r.dealId === dealId(c.provider, lowered),
      );
      expect(warning).toHaveLength(1);
      expect(warning[0]!.text).toContain(`Approval is requested from ${name(cfo)}.`);
      expect([...openRecordsPerDeal(writtenRecords(h.sandbox, c.provider))].filter(([, n]) => n > 1)).toEqual([]);
      writes.set(c.id, h.sandbox.state.annotations.filter((a) => a.provider === c.provider && a.kind !== 'field_update').length);
    }

    // A second sync with nothing changed writes no record again and creates no second task.
    for (const c of CONNECTIONS) {
      expect((await h.sync(c.id, 'incremental')).filter((o) => o.state === 'failed')).toEqual([]);
      const { lowered, closed } = picked.get(c.id)!;
      for (const i of [lowered, closed]) expect(approvals(c.provider, i)).toHaveLength(1);
      expect(h.sandbox.state.annotations.filter((a) => a.provider === c.provider && a.kind !== 'field_update').length).toBe(
        writes.get(c.id),
      );
    }

    // The finding resolves: `lowered` by a discount within the limit (seen by a full sync),
    // `closed` by the deal being won. Each task is completed in place; no new one is created.
    for (const c of CONNECTIONS) {
      const { lowered, closed } = picked.get(c.id)!;
      const book = h.sandbox.state[c.provider];
      Object.assign(book.deals[lowered]!, { discount: 0 });
      const won = book.pipelines[book.deals[closed]!.pipeline]!.stages.find((s) => s.isClosed && s.isWon)!;
      h.sandbox.changeStage(c.provider, dealId(c.provider, closed), won.id);
      expect((await h.sync(c.id, 'full')).filter((o) => o.state === 'failed')).toEqual([]);
      for (const i of [lowered, closed]) {
        const tasks = approvals(c.provider, i);
        expect(tasks, `${c.id}: deal ${dealId(c.provider, i)}`).toHaveLength(1);
        expect(tasks[0]!.open).toBe(false);
        expect(await h.store.findings.warningRecord(c.id, dealId(c.provider, i), 'approval')).toMatchObject({
          state: 'closed',
          writeStatus: 'written',
        });
      }
    }
  }, 240_000);
});
