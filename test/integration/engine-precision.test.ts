/**
 * The engine on the sandbox's book of business, read through the real connectors over loopback
 * HTTP: every problem the generator planted must be flagged by the rule of the same id, and the
 * deals it built healthy must get no finding, and no rule may flag a planted deal for a problem
 * that was not planted in it (precision 1 per rule, as recall). The generator's own record
 * (`sandbox.planted`) is the ground truth; it must plant every rule the provider's data can show.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubSpotConnector } from '../../connectors/hubspot/connector.js';
import { SalesforceConnector } from '../../connectors/salesforce/connector.js';
import type { CrmConnector, Page } from '../../connectors/types.js';
import { engineSettingsFromConnection, evaluateDeals, type EngineInput } from '../../src/domain/engine.js';
import { HubSpotConnection, type ConnectionSettings, type DealFieldChange, type StageChange } from '../../src/domain/model/index.js';
import { sandboxSalesforceConnection } from '../support/sandbox-connections.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';

/** The rules the generator plants problems for (sorted). */
const PLANTED_RULES = [
  'activity_not_logged',
  'amount_decreased',
  'close_date_passed',
  'close_date_pushed',
  'discount_over_limit',
  'missing_amount',
  'missing_close_date',
  'missing_next_step',
  'no_next_activity',
  'single_threaded',
  'stage_regressed',
  'stage_skipped',
  'stale_deal',
  'stuck_in_stage',
];
const noopGate = { take: () => Promise.resolve() };
const logger = pino({ level: 'silent' });
let sandbox: Sandbox;

async function all<T>(pages: AsyncIterable<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  for await (const p of pages) out.push(...p.records);
  return out;
}

async function load(connector: CrmConnector, conn: ConnectionSettings): Promise<EngineInput> {
  const settings = engineSettingsFromConnection(conn);
  if (!settings.ok) throw new Error(settings.issues.join('\n'));
  const stageChanges: StageChange[] = [];
  const fieldChanges: DealFieldChange[] = [];
  for await (const p of connector.pullHistory({ since: null, mode: 'full' })) {
    stageChanges.push(...p.stageChanges);
    fieldChanges.push(...p.fieldChanges);
  }
  return {
    settings: settings.settings,
    deals: await all(connector.pullDeals({ since: null, mode: 'full' })),
    activities: await all(connector.pullActivities({ since: null, mode: 'full' })),
    stageChanges,
    fieldChanges,
    stages: await connector.pullStages(),
    owners: await connector.pullOwners(),
    snapshots: [],
  };
}

interface RuleScore {
  rule: string;
  planted: number;
  flagged: number;
  truePositives: number;
  precision: number | null;
  recall: number | null;
}

function score(input: EngineInput, planted: Record<string, string[]>, healthy: string[], now: number) {
  const ev = evaluateDeals(input, now);
  const flaggedBy = new Map<string, Set<string>>();
  for (const f of ev.findings) {
    if (!(f.dealId in planted)) continue; // closed deals are not part of the planted record
    let s = flaggedBy.get(f.ruleId);
    if (!s) flaggedBy.set(f.ruleId, (s = new Set()));
    s.add(f.dealId);
  }
  const rules = new Set([...Object.values(planted).flat(), ...flaggedBy.keys()]);
  const table: RuleScore[] = [...rules].sort().map((rule) => {
    const truth = new Set(
      Object.entries(planted)
        .filter(([, p]) => p.includes(rule))
        .map(([id]) => id),
    );
    const got = flaggedBy.get(rule) ?? new Set<string>();
    const tp = [...got].filter((id) => truth.has(id)).length;
    return {
      rule,
      planted: truth.size,
      flagged: got.size,
      truePositives: tp,
      precision: got.size ? tp / got.size : null,
      recall: truth.size ? tp / truth.size : null,
    };
  });
  const healthyFlagged = healthy
    .filter((id) => ev.findingsByDeal.has(id))
    .map((id) => ({ id, rules: ev.findingsByDeal.get(id)!.map((f) => f.ruleId) }));
  const missed = Object.entries(planted).flatMap(([id, rules]) => rules.filter((r) => !flaggedBy.get(r)?.has(id)).map((r) => `${id}:${r}`));
  return { table, healthyFlagged, missed };
}

beforeAll(async () => {
  sandbox = await startSandbox({ deals: 600, seed: 5, rateLimit: false });
});

afterAll(async () => {
  await sandbox?.close();
});

describe('engine precision and recall on the sandbox book', () => {
  it('HubSpot: every planted problem is flagged by its rule, healthy deals are clean', async () => {
    const conn = HubSpotConnection.parse({
      id: 'hs-precision',
      provider: 'hubspot',
      accessToken: sandbox.hubspot.accessToken,
      baseUrl: sandbox.hubspot.baseUrl,
    });
    const connector = new HubSpotConnector(conn, { rateGate: noopGate, logger }, { now: () => sandbox.now() });
    const input = await load(connector, conn);
    const planted = sandbox.planted.hubspot;
    const r = score(input, planted.deals, planted.healthy, sandbox.now());
    console.log(`engine precision/recall (hubspot)\n${JSON.stringify(r.table, null, 1)}`);
    // Close-date pushes and amount drops come from property history (pullHistory reads it): every rule is checked.
    expect(input.fieldChanges.length).toBeGreaterThan(0);
    expect(r.table.filter((row) => row.planted > 0).map((row) => row.rule)).toEqual(PLANTED_RULES);
    expect(planted.healthy.length).toBeGreaterThan(0);
    expect(r.missed).toEqual([]);
    expect(r.healthyFlagged).toEqual([]);
    for (const row of r.table)
      expect({ rule: row.rule, recall: row.recall, precision: row.precision }).toEqual({ rule: row.rule, recall: 1, precision: 1 });
  });

  it('Salesforce: every planted problem is flagged by its rule, healthy deals are clean', async () => {
    const conn = sandboxSalesforceConnection(sandbox, 'sf-precision', { fieldMap: { lostReason: 'Loss_Reason__c' } });
    const connector = new SalesforceConnector(conn, { rateGate: noopGate, logger }, { bulkPoll: { intervalMs: 20, timeoutMs: 30_000 } });
    const input = await load(connector, conn);
    const planted = sandbox.planted.salesforce;
    const r = score(input, planted.deals, planted.healthy, sandbox.now());
    console.log(`engine precision/recall (salesforce)\n${JSON.stringify(r.table, null, 1)}`);
    // Every rule but missing_close_date (CloseDate is required on a Salesforce Opportunity).
    expect(r.table.filter((row) => row.planted > 0).map((row) => row.rule)).toEqual(
      PLANTED_RULES.filter((rule) => rule !== 'missing_close_date'),
    );
    expect(planted.healthy.length).toBeGreaterThan(0);
    expect(r.missed).toEqual([]);
    expect(r.healthyFlagged).toEqual([]);
    for (const row of r.table)
      expect({ rule: row.rule, recall: row.recall, precision: row.precision }).toEqual({ rule: row.rule, recall: 1, precision: 1 });
  });
});
