import type { Activity, Deal, DealScore, Finding, Owner, Stage, StageChange } from '../../../src/domain/model/index.js';

export function deal(connectionId: string, externalId: string, overrides: Partial<Deal> = {}): Deal {
  return {
    connectionId,
    externalId,
    name: `Deal ${externalId}`,
    ownerId: 'u1',
    accountId: 'acc1',
    accountName: 'Acme',
    accountIsTarget: null,
    leadSource: 'Web',
    pipeline: 'default',
    stageId: 'qualification',
    amount: 12_500.5,
    currency: 'USD',
    closeDate: '2026-12-31',
    createdAt: '2026-09-01T10:00:00.000Z',
    modifiedAt: '2026-11-20T08:30:00.000Z',
    probability: 0.2,
    forecastCategory: 'pipeline',
    nextStep: 'Demo',
    isClosed: false,
    isWon: false,
    stageEnteredAt: '2026-11-01T00:00:00.000Z',
    discountPercent: null,
    contactCount: 2,
    lostReason: null,
    isDeleted: false,
    deletedAt: null,
    ...overrides,
  };
}

export function activity(connectionId: string, externalId: string, dealIds: string[], overrides: Partial<Activity> = {}): Activity {
  return {
    connectionId,
    externalId,
    type: 'call',
    direction: 'outbound',
    occurredAt: '2026-11-18T15:00:00.000Z',
    ownerId: 'u1',
    dealIds,
    completed: true,
    subject: 'Discovery call',
    origin: 'crm',
    modifiedAt: '2026-11-18T15:30:00.000Z',
    isDeleted: false,
    ...overrides,
  };
}

export function owner(connectionId: string, externalId: string, overrides: Partial<Owner> = {}): Owner {
  return {
    connectionId,
    externalId,
    name: `Rep ${externalId}`,
    email: `${externalId}@example.com`,
    team: null,
    active: true,
    ...overrides,
  };
}

export function stages(connectionId: string): Stage[] {
  return ['qualification', 'proposal', 'closedwon', 'closedlost'].map((id, order) => ({
    connectionId,
    pipeline: 'default',
    id,
    label: id,
    order,
    probability: [0.2, 0.6, 1, 0][order] ?? 0,
    isClosed: order >= 2,
    isWon: order === 2,
  }));
}

export function stageChange(
  connectionId: string,
  dealId: string,
  at: string,
  toStageId: string,
  fromStageId: string | null = null,
): StageChange {
  return { connectionId, dealId, fromStageId, toStageId, at, amount: 1000, closeDate: '2026-12-31' };
}

export function score(connectionId: string, dealId: string, value: number, band: DealScore['band']): DealScore {
  return {
    connectionId,
    dealId,
    score: value,
    band,
    components: [{ name: 'activity', score: value, weight: 1, detail: 'recent calls' }],
    reasons: [{ impact: -10, text: 'No activity in 21 days' }],
    suggestedAction: 'Call the champion',
    usedDefaultBenchmarks: false,
  };
}

export function finding(connectionId: string, dealId: string, ruleId: string, days = 21): Finding {
  return {
    connectionId,
    dealId,
    ruleId,
    severity: 'warning',
    message: `No activity in ${days} days`,
    evidence: { daysSinceActivity: days },
    suggestedAction: 'Log the last touch or close the deal',
  };
}
