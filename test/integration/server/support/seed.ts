/**
 * Fills a store through its repositories with canonical records (used until the API suite can run a
 * real sync against the sandbox): reps, stages, open and closed deals, scores, findings (open and
 * resolved), activities, stage history and a sync run.
 */
import type { Activity, Deal, DealScore, Finding, Owner, Stage, StageChange } from '../../../../src/domain/model/index.js';
import type { Store } from '../../../../src/store/types.js';

export interface Seeded {
  openDealIds: string[];
  closedDealIds: string[];
  /** Deal with a score, an open and a resolved finding, activities and stage history. */
  richDealId: string;
  owners: string[];
}

const STAGES = ['appointmentscheduled', 'qualifiedtobuy', 'contractsent', 'closedwon', 'closedlost'];

function deal(connectionId: string, i: number, overrides: Partial<Deal> = {}): Deal {
  const id = String(10_000 + i);
  return {
    connectionId,
    externalId: id,
    // Names repeat on purpose: keyset pagination must still return every deal once.
    name: `Deal ${i % 7}`,
    ownerId: `u${i % 3}`,
    accountId: `acc${i % 5}`,
    accountName: `Account ${i % 5}`,
    accountIsTarget: null,
    leadSource: 'Web',
    pipeline: 'default',
    stageId: STAGES[i % 3]!,
    amount: 1_000 + i * 10,
    currency: 'USD',
    closeDate: '2026-12-31',
    createdAt: '2026-09-01T10:00:00.000Z',
    modifiedAt: '2026-11-20T08:30:00.000Z',
    probability: 0.2,
    forecastCategory: 'pipeline',
    nextStep: null,
    isClosed: false,
    isWon: false,
    stageEnteredAt: '2026-11-01T00:00:00.000Z',
    discountPercent: null,
    contactCount: 1,
    lostReason: null,
    isDeleted: false,
    deletedAt: null,
    ...overrides,
  };
}

function score(connectionId: string, dealId: string, value: number): DealScore {
  return {
    connectionId,
    dealId,
    score: value,
    band: value >= 70 ? 'healthy' : value >= 40 ? 'at_risk' : 'critical',
    components: [
      { name: 'activity', score: value, weight: 0.6, detail: 'calls and emails in the last 14 days' },
      { name: 'stage_age', score: 100 - value, weight: 0.4, detail: 'days in stage against the benchmark' },
    ],
    reasons: [{ impact: -12, text: 'No activity in 21 days' }],
    suggestedAction: 'Call the champion',
    usedDefaultBenchmarks: true,
  };
}

function finding(connectionId: string, dealId: string, ruleId: string): Finding {
  return {
    connectionId,
    dealId,
    ruleId,
    severity: 'warning',
    message: 'No activity in 21 days',
    evidence: { daysSinceActivity: 21 },
    suggestedAction: 'Log the last touch or close the deal',
  };
}

export async function seedStore(
  store: Store,
  connectionId: string,
  settings: Parameters<Store['connections']['upsertFromConfig']>[0],
): Promise<Seeded> {
  await store.connections.upsertFromConfig(settings);
  const owners: Owner[] = [0, 1, 2].map((i) => ({
    connectionId,
    externalId: `u${i}`,
    name: `Rep ${i}`,
    email: `rep${i}@example.com`,
    team: i === 2 ? 'enterprise' : 'smb',
    active: true,
  }));
  await store.owners.upsertMany(connectionId, owners);
  const stages: Stage[] = STAGES.map((id, order) => ({
    connectionId,
    pipeline: 'default',
    id,
    label: id,
    order,
    probability: [0.2, 0.4, 0.8, 1, 0][order]!,
    isClosed: order >= 3,
    isWon: order === 3,
  }));
  await store.stages.replace(connectionId, stages);

  const open = Array.from({ length: 53 }, (_, i) => deal(connectionId, i));
  const closed = Array.from({ length: 6 }, (_, i) =>
    deal(connectionId, 100 + i, {
      stageId: i % 2 === 0 ? 'closedwon' : 'closedlost',
      isClosed: true,
      isWon: i % 2 === 0,
      closeDate: '2026-10-15',
    }),
  );
  await store.deals.upsertPage(connectionId, [...open, ...closed]);
  const at = '2026-11-26T02:00:00.000Z';
  await store.scores.upsertMany(
    connectionId,
    open.filter((_, i) => i % 4 !== 3).map((d, i) => score(connectionId, d.externalId, (i * 37) % 101)),
    at,
  );

  const rich = open[0]!.externalId;
  await store.findings.applyDiff(
    connectionId,
    {
      opened: [
        { finding: finding(connectionId, rich, 'stale_deal'), annotationKey: `${connectionId}:${rich}:stale_deal:1` },
        { finding: finding(connectionId, rich, 'missing_next_step'), annotationKey: `${connectionId}:${rich}:missing_next_step:1` },
        {
          finding: finding(connectionId, open[5]!.externalId, 'stale_deal'),
          annotationKey: `${connectionId}:${open[5]!.externalId}:stale_deal:1`,
        },
      ],
      stillOpen: [],
      resolved: [],
    },
    '2026-11-20T02:00:00.000Z',
  );
  await store.findings.applyDiff(
    connectionId,
    { opened: [], stillOpen: [], resolved: [{ dealId: rich, ruleId: 'missing_next_step' }] },
    at,
  );

  const activities: Activity[] = [0, 1, 2].map((i) => ({
    connectionId,
    externalId: `act-${i}`,
    type: (['call', 'email', 'meeting'] as const)[i]!,
    direction: 'outbound',
    occurredAt: `2026-11-1${i}T15:00:00.000Z`,
    ownerId: 'u0',
    dealIds: [rich],
    completed: true,
    subject: `Touch ${i}`,
    origin: 'crm',
    modifiedAt: `2026-11-1${i}T15:30:00.000Z`,
    isDeleted: false,
  }));
  await store.activities.upsertPage(connectionId, activities);
  const history: StageChange[] = [
    {
      connectionId,
      dealId: rich,
      fromStageId: null,
      toStageId: 'appointmentscheduled',
      at: '2026-09-01T10:00:00.000Z',
      amount: 1000,
      closeDate: '2026-12-31',
    },
    {
      connectionId,
      dealId: rich,
      fromStageId: 'appointmentscheduled',
      toStageId: 'qualifiedtobuy',
      at: '2026-10-01T10:00:00.000Z',
      amount: 1000,
      closeDate: '2026-12-31',
    },
  ];
  await store.history.upsertStageChanges(connectionId, history);
  await store.history.upsertFieldChanges(connectionId, [
    { connectionId, dealId: rich, field: 'amount', oldValue: '800', newValue: '1000', at: '2026-10-02T10:00:00.000Z' },
  ]);
  const runId = await store.syncRuns.start(connectionId, { mode: 'full', trigger: 'test', startedAt: '2026-11-26T02:00:00.000Z' });
  await store.syncRuns.finish(connectionId, runId, {
    status: 'ok',
    finishedAt: '2026-11-26T02:03:00.000Z',
    counts: { deals: 59, activities: 3 },
    apiUsage: { calls: 12, byEndpoint: { deals: 8, activities: 4 }, rateLimited: 0, quota: null },
  });
  return {
    openDealIds: open.map((d) => d.externalId),
    closedDealIds: closed.map((d) => d.externalId),
    richDealId: rich,
    owners: owners.map((o) => o.externalId),
  };
}
