/**
 * Discount approvals go to the approver: through the Salesforce sandbox (whose reps have managers,
 * User.ManagerId), the rep's one warning task names who grants the approval: the user configured
 * for the tier, else the rep's manager, else the rep. One task per deal across two syncs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionSettings } from '../../../src/domain/model/index.js';
import { currentRecords } from '../../../src/sandbox/rep-view.js';
import type { Rep } from '../../../src/sandbox/generator/book.js';
import { redisAvailable } from '../../support/services.js';
import { startHarness, type Harness } from './harness.js';

const redisOk = await redisAvailable();
const name = (r: Rep) => `${r.firstName} ${r.lastName}`.trim();

describe.skipIf(!redisOk)('discount approvals go to the approver (salesforce)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ store: 'embedded', queues: 'redis', deals: 40 });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('names the mapped approver, else the manager, else the rep, on one task per deal', async () => {
    const book = h.sandbox.state.salesforce;
    const lead = (r: Rep) => book.reps.find((x) => x.team === r.team)!;
    const isLead = (r: Rep) => lead(r).id === r.id;
    const open = book.deals
      .map((d, i) => ({ d, i }))
      .filter(({ d }) => !d.deleted && !book.pipelines[d.pipeline]!.stages[d.stage]!.isClosed);
    const repOf = (i: number) => book.reps[book.deals[i]!.owner]!;
    // A: the CFO tier (mapped); B: the VP Sales tier of a rep with a manager; C: the sales manager tier of a team lead.
    const a = open[0]!.i;
    const b = open.find(({ i }) => i !== a && !isLead(repOf(i)))!.i;
    const c = open.find(({ i }) => i !== a && i !== b && isLead(repOf(i)))!.i;
    const cfo = book.reps.find((r) => r.id !== repOf(a).id && r.id !== lead(repOf(a)).id)!;
    Object.assign(book.deals[a]!, { amount: 200_000, discount: 35 });
    Object.assign(book.deals[b]!, { amount: 20_000, discount: 30 });
    Object.assign(book.deals[c]!, { amount: 5_000, discount: 25 });
    const i = h.settings.findIndex((s) => s.id === 'sf');
    h.settings[i] = ConnectionSettings.parse({ ...h.settings[i], rules: { discount_over_limit: { approvers: { CFO: cfo.id } } } });

    const expected = new Map([
      [book.deals[a]!.id, name(cfo)],
      [book.deals[b]!.id, name(lead(repOf(b)))],
      [book.deals[c]!.id, name(repOf(c))],
    ]);
    // The rep's warning task (the approval task, key `dwa-...`, is the approver's: approval-tasks.test.ts).
    const tasksOf = (dealId: string) =>
      [...currentRecords(h.sandbox.state.annotations).values()].filter(
        (r) => r.kind === 'task' && r.dealId === dealId && !String(r.fields['Dealwatch_Key__c'] ?? '').startsWith('dwa-'),
      );

    for (const mode of ['full', 'incremental'] as const) {
      const outcomes = await h.sync('sf', mode);
      expect(outcomes.filter((o) => o.state === 'failed')).toEqual([]);
      for (const [dealId, approver] of expected) {
        const tasks = tasksOf(dealId);
        expect(tasks, `${mode}: ${dealId}`).toHaveLength(1);
        expect(tasks[0]!.closed).toBe(false);
        expect(tasks[0]!.text).toContain(`Approval is requested from ${approver}.`);
      }
      // The manager comes from the CRM: stored with the rep.
      const owners = new Map((await h.store.owners.list('sf')).map((o) => [o.externalId, o]));
      expect(owners.get(repOf(b).id)?.managerId).toBe(lead(repOf(b)).id);
      expect(owners.get(repOf(c).id)?.managerId ?? null).toBeNull();
    }
  }, 150_000);
});
