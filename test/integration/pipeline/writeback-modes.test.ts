/**
 * Write-back modes: `dry-run` computes and records the exact writes without calling the CRM;
 * switching to `on` writes what is still due, once; `off` scores and reports only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionSettings } from '../../../src/domain/model/index.js';
import { redisAvailable } from '../../support/services.js';
import { startHarness, total, type Harness } from './harness.js';

const redisOk = await redisAvailable();

describe.skipIf(!redisOk)('write-back modes', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ store: 'embedded', queues: 'redis', deals: 60, writeback: 'dry-run' });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  const setMode = (id: string, writeback: 'on' | 'dry-run' | 'off') => {
    const i = h.settings.findIndex((s) => s.id === id);
    h.settings[i] = ConnectionSettings.parse({ ...h.settings[i], writeback });
  };

  it('plans in dry-run, writes what is due once when switched on, and writes nothing when off', async () => {
    const dry = await h.sync('hs', 'full');
    expect(total(dry, 'writeback', 'planned')).toBeGreaterThan(0);
    expect(total(dry, 'writeback', 'notes')).toBe(0);
    expect(h.sandbox.state.annotations.filter((a) => a.provider === 'hubspot')).toEqual([]);
    // Warnings are notes on this connection; a discount approval is a task assigned to the approver.
    const plannedRecords = await h.store.findings.recordsDue('hs', { statuses: ['planned'] });
    const planned = plannedRecords.filter((r) => r.kind === 'warning');
    const plannedApprovals = plannedRecords.filter((r) => r.kind === 'approval');
    expect(planned.length).toBeGreaterThan(0);
    // The score and flags fields are due too (never written), not only the notes.
    const dueFields = await h.store.scores.fieldsDue('hs');
    expect(dueFields.length).toBeGreaterThan(0);
    expect(total(dry, 'writeback', 'fields')).toBe(0);
    const fieldUpdates = () => h.sandbox.state.annotations.filter((a) => a.provider === 'hubspot' && a.kind === 'field_update');

    setMode('hs', 'on');
    const on = await h.sync('hs', 'incremental');
    expect(total(on, 'writeback', 'notes')).toBe(planned.length);
    expect(total(on, 'writeback', 'tasks')).toBe(plannedApprovals.length);
    const notes = h.sandbox.state.annotations.filter((a) => a.provider === 'hubspot' && a.kind === 'note');
    expect(notes).toHaveLength(planned.length);
    expect(await h.store.findings.recordsDue('hs')).toEqual([]);
    expect(await h.store.findings.unwritten('hs')).toEqual([]);
    // Switching on writes the fields planned in dry-run once, though no score changed since.
    expect(total(on, 'writeback', 'fields')).toBe(dueFields.length);
    expect(
      fieldUpdates()
        .map((a) => a.dealId)
        .sort(),
    ).toEqual(dueFields.map((f) => f.dealId).sort());
    expect(await h.store.scores.fieldsDue('hs')).toEqual([]);

    const again = await h.sync('hs', 'incremental');
    expect(total(again, 'writeback', 'notes')).toBe(0);
    expect(h.sandbox.state.annotations.filter((a) => a.provider === 'hubspot' && a.kind === 'note')).toHaveLength(planned.length);
    expect(total(again, 'writeback', 'fields')).toBe(0);
    expect(fieldUpdates()).toHaveLength(dueFields.length);

    setMode('sf', 'off');
    const off = await h.sync('sf', 'full');
    expect(total(off, 'score', 'scored')).toBeGreaterThan(0);
    // Off is not a dry-run: nothing is planned either, though the findings are open.
    expect((await h.store.findings.openForDeals('sf')).length).toBeGreaterThan(0);
    expect(off.filter((o) => o.ref.queue === 'writeback' && o.state === 'completed').length).toBeGreaterThan(0);
    expect(total(off, 'writeback', 'planned')).toBe(0);
    expect(total(off, 'writeback', 'notes') + total(off, 'writeback', 'tasks') + total(off, 'writeback', 'fields')).toBe(0);
    expect(h.sandbox.state.annotations.filter((a) => a.provider === 'salesforce')).toEqual([]);
  }, 120_000);
});
