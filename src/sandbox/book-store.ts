/**
 * One provider's live book: the generated rows plus id indexes and per-deal indexes, and the
 * mutations both API surfaces and the admin surface share (stage, amount, close date changes write
 * history rows and bump modification stamps exactly once per change; listeners see every change so
 * webhooks and outbound messages can be emitted).
 */
import type { SandboxClock } from './clock.js';
import type { Activity, ActivityKind, Book, Deal, PipelineDef, StageDef } from './generator/book.js';
import { isoDay } from './generator/generate.js';
import { hubspotId, salesforceId } from './generator/ids.js';

export type DealChange =
  | { type: 'creation'; deal: Deal; at: number }
  | { type: 'deletion'; deal: Deal; at: number }
  | {
      type: 'propertyChange';
      deal: Deal;
      property: 'stage' | 'amount' | 'closeDate' | 'other';
      at: number;
      /** Custom fields or properties the save set (`other` changes). */
      custom?: string[];
      /** The save came through the API (the integration), not from a rep in the CRM. */
      viaApi?: boolean;
    };

export class BookStore {
  readonly book: Book;
  private readonly dealById = new Map<string, number>();
  private readonly activityById = new Map<string, number>();
  private readonly activitiesByDeal: number[][] = [];
  private readonly stageHistoryByDeal: number[][] = [];
  private readonly fieldHistoryByDeal: number[][] = [];
  private readonly activitiesByKind = new Map<ActivityKind, number[]>();
  private readonly listeners: ((change: DealChange) => void)[] = [];

  constructor(
    book: Book,
    private readonly clock: SandboxClock,
  ) {
    this.book = book;
    book.deals.forEach((d, i) => {
      this.dealById.set(d.id, i);
      this.activitiesByDeal.push([]);
      this.stageHistoryByDeal.push([]);
      this.fieldHistoryByDeal.push([]);
    });
    book.activities.forEach((a, i) => {
      this.activityById.set(a.id, i);
      this.activitiesByDeal[a.deal]?.push(i);
      this.kindIndex(a.kind).push(i);
    });
    book.stageHistory.forEach((h, i) => this.stageHistoryByDeal[h.deal]?.push(i));
    book.fieldHistory.forEach((h, i) => this.fieldHistoryByDeal[h.deal]?.push(i));
  }

  private kindIndex(kind: ActivityKind): number[] {
    let list = this.activitiesByKind.get(kind);
    if (!list) {
      list = [];
      this.activitiesByKind.set(kind, list);
    }
    return list;
  }
  /** Indexes into `book.activities` of one kind, in creation order. */
  activityIndicesOfKind(kind: ActivityKind): readonly number[] {
    return this.kindIndex(kind);
  }

  onChange(listener: (change: DealChange) => void): void {
    this.listeners.push(listener);
  }

  now(): number {
    return this.clock.now();
  }

  dealIndex(id: string): number | undefined {
    return this.dealById.get(id);
  }
  deal(id: string): Deal | undefined {
    const i = this.dealById.get(id);
    return i === undefined ? undefined : this.book.deals[i];
  }
  activityIndex(id: string): number | undefined {
    return this.activityById.get(id);
  }
  activity(id: string): Activity | undefined {
    const i = this.activityById.get(id);
    return i === undefined ? undefined : this.book.activities[i];
  }
  /** An update through the API: the given fields change and the record's modification time moves. */
  updateActivity(
    id: string,
    changes: { subject?: string; body?: string | null; completed?: boolean; owner?: number; custom?: Record<string, string | null> },
  ): Activity | undefined {
    const activity = this.activity(id);
    if (!activity || activity.deleted) return undefined;
    if (changes.subject !== undefined) activity.subject = changes.subject;
    if (changes.body !== undefined) activity.body = changes.body;
    if (changes.completed !== undefined) activity.completed = changes.completed;
    if (changes.owner !== undefined) activity.owner = changes.owner;
    if (changes.custom) activity.custom = { ...activity.custom, ...changes.custom };
    activity.modifiedAt = this.clock.now();
    return activity;
  }
  activitiesOf(dealIdx: number): Activity[] {
    return (this.activitiesByDeal[dealIdx] ?? []).map((i) => this.book.activities[i] as Activity);
  }
  activityIndicesOf(dealIdx: number): readonly number[] {
    return this.activitiesByDeal[dealIdx] ?? [];
  }
  stageHistoryIndicesOf(dealIdx: number): readonly number[] {
    return this.stageHistoryByDeal[dealIdx] ?? [];
  }
  fieldHistoryIndicesOf(dealIdx: number): readonly number[] {
    return this.fieldHistoryByDeal[dealIdx] ?? [];
  }
  stageHistoryOf(dealIdx: number) {
    return (this.stageHistoryByDeal[dealIdx] ?? []).map((i) => this.book.stageHistory[i]!);
  }
  fieldHistoryOf(dealIdx: number) {
    return (this.fieldHistoryByDeal[dealIdx] ?? []).map((i) => this.book.fieldHistory[i]!);
  }
  pipelineOf(deal: Deal): PipelineDef {
    return this.book.pipelines[deal.pipeline] as PipelineDef;
  }
  stageOf(deal: Deal): StageDef {
    return this.pipelineOf(deal).stages[deal.stage] as StageDef;
  }
  /** Finds a stage by id (HubSpot) or label (Salesforce StageName) in the deal's pipeline. */
  findStage(deal: Deal, idOrLabel: string): number {
    return this.pipelineOf(deal).stages.findIndex((s) => s.id === idOrLabel || s.label === idOrLabel);
  }

  /** Last completed activity time of a deal (Salesforce LastActivityDate, HubSpot notes_last_updated). */
  lastActivityAt(dealIdx: number): number | null {
    let last: number | null = null;
    for (const a of this.activitiesOf(dealIdx)) {
      if (a.deleted || !a.completed || a.at > this.clock.now()) continue;
      if (last === null || a.at > last) last = a.at;
    }
    return last;
  }
  /** Earliest open task or future meeting (HubSpot notes_next_activity_date). */
  nextActivityAt(dealIdx: number): number | null {
    let next: number | null = null;
    const now = this.clock.now();
    for (const a of this.activitiesOf(dealIdx)) {
      if (a.deleted || a.completed) continue;
      if (a.kind === 'meeting' && a.at < now) continue;
      if (next === null || a.at < next) next = a.at;
    }
    return next;
  }

  private addHistory(dealIdx: number, deal: Deal, at: number): void {
    const n = this.book.stageHistory.length;
    this.book.stageHistory.push({
      id: this.book.provider === 'hubspot' ? String(n + 1) : salesforceId('OpportunityHistory', n + 1),
      deal: dealIdx,
      stage: deal.stage,
      amount: deal.amount,
      closeDate: deal.closeDate,
      at,
    });
    this.stageHistoryByDeal[dealIdx]?.push(n);
  }
  private addFieldHistory(
    dealIdx: number,
    field: 'StageName' | 'Amount' | 'CloseDate',
    oldValue: string | number | null,
    newValue: string | number | null,
    at: number,
  ): void {
    const n = this.book.fieldHistory.length;
    this.book.fieldHistory.push({
      id: this.book.provider === 'hubspot' ? String(n + 1) : salesforceId('OpportunityFieldHistory', n + 1),
      deal: dealIdx,
      field,
      oldValue,
      newValue,
      at,
    });
    this.fieldHistoryByDeal[dealIdx]?.push(n);
  }
  private emit(change: DealChange): void {
    for (const l of this.listeners) l(change);
  }

  /**
   * Applies a set of standard field changes to a deal as one save: history rows for each tracked
   * change, one modification stamp, and one change event per property that moved.
   */
  updateDeal(
    dealIdx: number,
    changes: {
      stage?: number;
      amount?: number | null;
      closeDate?: number | null;
      nextStep?: string | null;
      discount?: number | null;
      name?: string;
      owner?: number;
      custom?: Record<string, string | number | boolean | null>;
    },
    by: { userId?: string; viaApi?: boolean } = {},
  ): void {
    const deal = this.book.deals[dealIdx] as Deal;
    const at = this.clock.now();
    const stages = this.pipelineOf(deal).stages;
    const events: Extract<DealChange, { type: 'propertyChange' }>[] = [];
    let historyNeeded = false;
    if (changes.stage !== undefined && changes.stage !== deal.stage) {
      this.addFieldHistory(dealIdx, 'StageName', stages[deal.stage]?.label ?? null, stages[changes.stage]?.label ?? null, at);
      deal.stage = changes.stage;
      deal.stageEnteredAt = at;
      historyNeeded = true;
      events.push({ type: 'propertyChange', deal, property: 'stage', at });
    }
    if (changes.amount !== undefined && changes.amount !== deal.amount) {
      this.addFieldHistory(dealIdx, 'Amount', deal.amount, changes.amount, at);
      deal.amount = changes.amount;
      historyNeeded = true;
      events.push({ type: 'propertyChange', deal, property: 'amount', at });
    }
    if (changes.closeDate !== undefined && changes.closeDate !== deal.closeDate) {
      this.addFieldHistory(
        dealIdx,
        'CloseDate',
        deal.closeDate === null ? null : isoDay(deal.closeDate),
        changes.closeDate === null ? null : isoDay(changes.closeDate),
        at,
      );
      if (deal.closeDate !== null && changes.closeDate !== null && changes.closeDate > deal.closeDate) deal.pushCount += 1;
      deal.closeDate = changes.closeDate;
      historyNeeded = true;
      events.push({ type: 'propertyChange', deal, property: 'closeDate', at });
    }
    if (changes.nextStep !== undefined) deal.nextStep = changes.nextStep;
    if (changes.discount !== undefined) deal.discount = changes.discount;
    if (changes.name !== undefined) deal.name = changes.name;
    if (changes.owner !== undefined) deal.owner = changes.owner;
    if (changes.custom !== undefined) deal.custom = { ...(deal.custom ?? {}), ...changes.custom };
    if (historyNeeded) this.addHistory(dealIdx, deal, at);
    deal.modifiedAt = at;
    if (by.userId === undefined) delete deal.modifiedBy;
    else deal.modifiedBy = by.userId;
    const custom = changes.custom === undefined ? [] : Object.keys(changes.custom);
    if (events.length === 0 || custom.length > 0)
      events.push({ type: 'propertyChange', deal, property: 'other', at, ...(custom.length > 0 ? { custom } : {}) });
    for (const e of events) this.emit(by.viaApi ? { ...e, viaApi: true } : e);
  }

  deleteDeal(dealIdx: number): void {
    const deal = this.book.deals[dealIdx] as Deal;
    if (deal.deleted) return;
    const at = this.clock.now();
    deal.deleted = true;
    deal.deletedAt = at;
    deal.modifiedAt = at;
    this.emit({ type: 'deletion', deal, at });
  }

  /** Adds an activity to a deal (generated by the admin surface or written through the API). */
  addActivity(
    dealIdx: number,
    input: {
      kind: ActivityKind;
      at?: number;
      direction?: 'inbound' | 'outbound' | null;
      completed?: boolean;
      subject?: string;
      body?: string | null;
      owner?: number;
      viaApi?: boolean;
      custom?: Record<string, string | null>;
    },
  ): Activity {
    const now = this.clock.now();
    const deal = this.book.deals[dealIdx];
    const n = this.book.activities.length + 1;
    const provider = this.book.provider;
    const at = Math.round(input.at ?? now);
    const activity: Activity = {
      id: provider === 'hubspot' ? hubspotId('activity', n) : salesforceId(input.kind === 'meeting' ? 'Event' : 'Task', n),
      deal: dealIdx,
      kind: input.kind,
      at,
      direction: input.direction ?? null,
      completed: input.completed ?? at <= now,
      owner: input.owner ?? deal?.owner ?? 0,
      subject: input.subject ?? input.kind,
      body: input.body ?? null,
      createdAt: now,
      modifiedAt: now,
      deleted: false,
      viaApi: input.viaApi ?? false,
      ...(input.custom ? { custom: input.custom } : {}),
    };
    this.activityById.set(activity.id, this.book.activities.length);
    this.activitiesByDeal[dealIdx]?.push(this.book.activities.length);
    this.kindIndex(activity.kind).push(this.book.activities.length);
    this.book.activities.push(activity);
    return activity;
  }

  /** Creates a deal (the admin "sales floor" or a test) in the first stage of a pipeline. */
  createDeal(input: {
    name: string;
    owner: number;
    account: number;
    pipeline?: number;
    amount?: number | null;
    closeDate?: number | null;
    leadSource?: string;
  }): Deal {
    const now = this.clock.now();
    const n = this.book.deals.length + 1;
    const provider = this.book.provider;
    const deal: Deal = {
      id: provider === 'hubspot' ? hubspotId('deal', n) : salesforceId('Opportunity', n),
      name: input.name,
      pipeline: input.pipeline ?? 0,
      stage: 0,
      owner: input.owner,
      account: input.account,
      leadSource: input.leadSource ?? this.book.leadSources[0]?.name ?? 'Other',
      amount: input.amount ?? null,
      closeDate: input.closeDate ?? null,
      createdAt: now,
      modifiedAt: now,
      stageEnteredAt: now,
      nextStep: null,
      discount: null,
      contactIds: [],
      pushCount: 0,
      lostReason: null,
      deleted: false,
      deletedAt: null,
      custom: undefined,
    };
    const idx = this.book.deals.length;
    this.book.deals.push(deal);
    this.dealById.set(deal.id, idx);
    this.activitiesByDeal.push([]);
    this.stageHistoryByDeal.push([]);
    this.fieldHistoryByDeal.push([]);
    this.addHistory(idx, deal, now);
    this.emit({ type: 'creation', deal, at: now });
    return deal;
  }
}
