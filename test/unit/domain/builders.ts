/** Hand-built canonical records for engine tests: sensible defaults, override what the test is about. */
import type { Activity, Deal, DealFieldChange, DealSnapshot, Owner, Stage, StageChange } from '../../../src/domain/model/index.js';
import type { EngineInput, EngineSettings } from '../../../src/domain/engine.js';
import { parseRulesConfig, type RulesConfigInput } from '../../../src/domain/rules/config.js';

export const CONN = 'acme';

/** Five open stages and two closed ones (probabilities 0.1 .. 0.9). */
export const STAGES: Stage[] = [
  { id: 'qualify', label: 'Qualify', probability: 0.1 },
  { id: 'discovery', label: 'Discovery', probability: 0.2 },
  { id: 'demo', label: 'Demo', probability: 0.4 },
  { id: 'proposal', label: 'Proposal', probability: 0.6 },
  { id: 'negotiation', label: 'Negotiation', probability: 0.8 },
  { id: 'won', label: 'Closed Won', probability: 1, isClosed: true, isWon: true },
  { id: 'lost', label: 'Closed Lost', probability: 0, isClosed: true, isWon: false },
].map((s, order) => ({ connectionId: CONN, pipeline: 'default', order, isClosed: false, isWon: false, ...s }));

export function deal(id: string, over: Partial<Deal> = {}): Deal {
  return {
    connectionId: CONN,
    externalId: id,
    name: `Deal ${id}`,
    ownerId: 'rep1',
    accountId: 'acc1',
    accountName: 'Account 1',
    accountIsTarget: null,
    leadSource: 'web',
    pipeline: 'default',
    stageId: 'qualify',
    amount: 10_000,
    currency: null,
    closeDate: '2026-12-31',
    createdAt: '2026-11-20T12:00:00.000Z',
    modifiedAt: '2026-11-20T12:00:00.000Z',
    probability: null,
    forecastCategory: 'pipeline',
    nextStep: 'Call back',
    isClosed: false,
    isWon: false,
    stageEnteredAt: null,
    discountPercent: null,
    contactCount: 3,
    lostReason: null,
    isDeleted: false,
    deletedAt: null,
    ...over,
  };
}

export function wonDeal(id: string, over: Partial<Deal> = {}): Deal {
  return deal(id, { stageId: 'won', isClosed: true, isWon: true, forecastCategory: 'closed', ...over });
}

export function lostDeal(id: string, over: Partial<Deal> = {}): Deal {
  return deal(id, { stageId: 'lost', isClosed: true, isWon: false, forecastCategory: 'omitted', ...over });
}

let seq = 0;
export function activity(dealId: string | string[], occurredAt: string, over: Partial<Activity> = {}): Activity {
  return {
    connectionId: CONN,
    externalId: `a${++seq}`,
    type: 'call',
    direction: 'outbound',
    occurredAt,
    ownerId: 'rep1',
    dealIds: Array.isArray(dealId) ? dealId : [dealId],
    completed: true,
    subject: null,
    origin: 'crm',
    modifiedAt: occurredAt,
    isDeleted: false,
    ...over,
  };
}

export function move(dealId: string, from: string | null, to: string, at: string): StageChange {
  return { connectionId: CONN, dealId, fromStageId: from, toStageId: to, at, amount: null, closeDate: null };
}

export function closeDateChange(dealId: string, oldValue: string | null, newValue: string | null, at: string): DealFieldChange {
  return { connectionId: CONN, dealId, field: 'closeDate', oldValue, newValue, at };
}

export function snapshot(dealId: string, day: string, over: Partial<DealSnapshot> = {}): DealSnapshot {
  return {
    connectionId: CONN,
    day,
    dealId,
    ownerId: 'rep1',
    pipeline: 'default',
    stageId: 'qualify',
    amount: 10_000,
    currency: null,
    closeDate: '2026-12-31',
    probability: 0.1,
    forecastCategory: 'pipeline',
    isClosed: false,
    isWon: false,
    ...over,
  };
}

export function owner(id: string, over: Partial<Owner> = {}): Owner {
  return { connectionId: CONN, externalId: id, name: `Rep ${id}`, email: null, team: null, active: true, ...over };
}

export function settings(over: Partial<Omit<EngineSettings, 'rules'>> & { rules?: RulesConfigInput } = {}): EngineSettings {
  const { rules, ...rest } = over;
  const parsed = parseRulesConfig(rules ?? {});
  if (!parsed.ok) throw new Error(parsed.issues.join('\n'));
  return {
    connectionId: CONN,
    timezone: 'UTC',
    reportingCurrency: 'USD',
    fiscalYearStartMonth: 1,
    lostReasonMapped: true,
    ...rest,
    rules: parsed.config,
  };
}

export function input(over: Partial<Omit<EngineInput, 'settings'>> & { settings?: EngineSettings } = {}): EngineInput {
  return {
    settings: settings(),
    deals: [],
    activities: [],
    stageChanges: [],
    fieldChanges: [],
    stages: STAGES,
    owners: [owner('rep1')],
    snapshots: [],
    ...over,
  };
}

/** Instant used by most tests: Thursday 2026-11-26 15:00 UTC. */
export const NOW = Date.parse('2026-11-26T15:00:00.000Z');
