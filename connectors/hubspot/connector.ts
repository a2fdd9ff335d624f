/**
 * HubSpot implementation of the connector contract. Full syncs walk the list endpoints (associations
 * inline), resumable page by page (walk.ts); incremental syncs walk search on hs_lastmodifieddate
 * (paging.ts) and read deal links with the v4 batch association endpoint; archived records become
 * tombstones through `archived=true`.
 */
import type { Log } from '../../src/logger.js';
import type {
  Activity,
  ApiUsage,
  Deal,
  DealFieldChange,
  HubSpotConnection,
  Owner,
  Stage,
  StageChange,
  SyncCursor,
  SyncStream,
} from '../../src/domain/model/index.js';
import type {
  AnnotationBatch,
  AnnotationResult,
  ConnectorDeps,
  CrmConnector,
  DealBundle,
  DoctorReport,
  HistoryPage,
  Page,
  PullOptions,
} from '../types.js';
import { chunks } from '../shared/chunks.js';
import { defaultRetryPolicy, type RetryPolicy } from '../shared/retry.js';
import { UsageCounter } from '../shared/usage.js';
import { cursorOf, mergeByFrontier } from './activity-merge.js';
import { ASSOCIATION_BATCH_LIMIT, type AssociatedRecord, inlineAssociated, primaryId, readAssociated, readLinks } from './associations.js';
import { HubSpotClient, type HubSpotObjectType } from './client.js';
import { type AwaitingNames, CompanyNames, withCompanyNames } from './companies.js';
import { runDoctor } from './doctor.js';
import {
  ACTIVITY_OBJECT_TYPES,
  ACTIVITY_PROPERTIES,
  DEFAULT_DISCOUNT_PROPERTY,
  DEFAULT_LOST_REASON_PROPERTY,
  type DealMapContext,
  dealProperties,
  HISTORY_PROPERTIES,
  toActivity,
  toDeal,
  toEpochMs,
  toFieldChanges,
  toOwner,
  toStageChanges,
  toStages,
} from './mappers.js';
import { type ChangedPage, LIST_LIMIT, type ListFrom, type ListPage, listPages, SEARCH_LIMIT, searchChanged } from './paging.js';
import { BatchResponse, OwnersResponse, PipelinesResponse, type RawObject } from './schemas.js';
import { FullWalk } from './walk.js';
import { BATCH_LIMIT, HubSpotWriteback } from './writeback.js';

const ACTIVITY_TYPES = Object.values(ACTIVITY_OBJECT_TYPES);

/**
 * Phases of the full walks (walk.ts), one list endpoint each, in walk order. The deals list carries
 * the property history (`deals-with-history`): a walk an older version left in a phase named
 * `deals` (listed without history) is not continued but started over.
 */
const DEAL_PHASES = ['deals-with-history', 'archived-deals'] as const;
const HISTORY_PHASES = ['deal-history'] as const;
/** Each activity type's live list, then each one's archived list. */
const ACTIVITY_PHASES = new Map(
  [false, true].flatMap((archived) => ACTIVITY_TYPES.map((type) => [archived ? `archived-${type}` : type, { type, archived }] as const)),
);

/** Inputs of one batch read with `propertiesWithHistory` (100 without; see pullHistory). */
export const HISTORY_BATCH_LIMIT = 50;

/** Knobs that are not connection settings (tests shorten backoffs; clock for "has this meeting happened"). */
export interface HubSpotConnectorOptions {
  retry?: RetryPolicy;
  now?: () => number;
}

async function* mapPages<A, B>(pages: AsyncIterable<A>, f: (page: A) => B): AsyncGenerator<B> {
  for await (const page of pages) yield f(page);
}

/** One step of a deal walk: a page of records with their companies, or a page of tombstones. */
type DealStep =
  | { kind: 'records'; records: RawObject[]; cursor: SyncCursor | null; links: Map<string, AssociatedRecord[]>; withHistory: boolean }
  | { kind: 'tombstones'; tombstones: string[]; cursor: SyncCursor | null };

/** Stage moves and field changes of deals read with property history, each list in time order. */
function historyOf(
  records: RawObject[],
  connectionId: string,
  stageIds: string[],
): { stageChanges: StageChange[]; fieldChanges: DealFieldChange[] } {
  return {
    // Stable sorts: one deal's moves that share an instant keep their order.
    stageChanges: records
      .flatMap((raw) => toStageChanges(raw, { connectionId, stageIds }))
      .sort((a, b) => Date.parse(a.at) - Date.parse(b.at)),
    fieldChanges: records.flatMap((raw) => toFieldChanges(raw, connectionId)).sort((a, b) => Date.parse(a.at) - Date.parse(b.at)),
  };
}

/** Full walk: asked for, nothing synced yet, or a walk an earlier pull left unfinished. */
function walks(options: PullOptions): boolean {
  return options.mode === 'full' || options.since === null || options.since.walk !== undefined;
}

export class HubSpotConnector implements CrmConnector {
  readonly provider = 'hubspot' as const;
  readonly connectionId: string;
  private readonly client: HubSpotClient;
  private readonly counter: UsageCounter;
  private readonly log: Log;
  private readonly now: () => number;
  private readonly writeback: HubSpotWriteback;
  private stagesCache: Promise<Stage[]> | null = null;
  /**
   * What this connector's last full deal walk read, for the pulls that follow it in the same sync:
   * the cursor from which history is complete when every page of the walk carried it (the history
   * pull then reads nothing again), and every live deal id when the walk began at the start of the
   * list (the reconciliation then lists nothing again).
   */
  private lastDealWalk: { historyCursor: SyncCursor | null; liveIds: string[] | null } | null = null;

  constructor(
    private readonly settings: HubSpotConnection,
    deps: ConnectorDeps,
    options: HubSpotConnectorOptions = {},
  ) {
    this.connectionId = settings.id;
    this.counter = new UsageCounter(deps.onApiCall);
    this.log = deps.logger.child({ module: 'connector.hubspot' });
    this.now = options.now ?? Date.now;
    this.client = new HubSpotClient({
      baseUrl: settings.baseUrl,
      connection: settings,
      rateGate: deps.rateGate,
      usage: this.counter,
      retry: options.retry ?? defaultRetryPolicy,
      logger: this.log,
    });
    this.writeback = new HubSpotWriteback(this.client, settings, this.now, this.log);
  }

  private async dealContext(signal?: AbortSignal): Promise<DealMapContext> {
    const stages = await this.stages(signal);
    return {
      connectionId: this.connectionId,
      discountProperty: this.settings.fieldMap.discount ?? DEFAULT_DISCOUNT_PROPERTY,
      lostReasonProperty: this.settings.fieldMap.lostReason ?? DEFAULT_LOST_REASON_PROPERTY,
      stages: new Map(stages.map((s) => [s.id, s])),
    };
  }

  /** Stages are read once per connector (one call) and reused for property lists and fallbacks. */
  private stages(signal?: AbortSignal): Promise<Stage[]> {
    if (!this.stagesCache) {
      const pending = this.pullStages(signal).catch((error: unknown) => {
        this.stagesCache = null;
        throw error;
      });
      this.stagesCache = pending;
    }
    return this.stagesCache;
  }

  private lookbackMs(): number {
    return this.settings.lookbackMinutes * 60_000;
  }

  /** The full walk a pull continues (`since.walk`) or begins now. */
  private fullWalk(stream: SyncStream, phases: readonly string[], since: SyncCursor | null): FullWalk {
    const { walk, unknown } = FullWalk.from(phases, since, this.now());
    if (unknown) this.log.warn({ stream, phase: unknown.phase }, 'the cursor names no phase of this full walk: the walk starts over');
    else if (walk.resumed) this.log.info({ stream, walk: since?.walk, startedAt: since?.stamp }, 'full walk resumed where it stopped');
    return walk;
  }

  /** Where a phase's list starts: the kept token, if any (a refused one restarts that list). */
  private listFrom(stream: SyncStream, phase: string, after: string | undefined): ListFrom | undefined {
    if (after === undefined) return undefined;
    return {
      after,
      rejected: (error) =>
        this.log.warn(
          { stream, phase, status: error.status },
          'HubSpot refused the kept paging token: this list is walked again from its start',
        ),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Pulls

  async *pullDeals(options: PullOptions): AsyncIterable<Page<Deal>> {
    this.lastDealWalk = null;
    const ctx = await this.dealContext(options.signal);
    const stageIds = [...ctx.stages.keys()];
    // A walk from the very start of the deals list sees every live deal, and its pages all carry history.
    const fromStart =
      walks(options) && (options.since?.walk === undefined || FullWalk.from(DEAL_PHASES, options.since, this.now()).unknown !== null);
    const liveIds: string[] | null = fromStart ? [] : null;
    let historyComplete = fromStart || options.since?.walk?.phase === DEAL_PHASES[0];
    let lastCursor: SyncCursor | null = null;
    // One cache per sync: a company shared by many deals is read once.
    const companies = new CompanyNames(this.client, this.log);
    // Pages wait (in order) until their companies' names are read, 100 companies a call.
    const steps = mapPages(
      this.walkDeals(options, dealProperties(ctx)),
      (step): AwaitingNames<{ step: DealStep; accountIds: Map<string, string | null> }> => {
        if (step.kind !== 'records') return { item: { step, accountIds: new Map() }, companyIds: [], size: 0 };
        const accountIds = new Map(step.records.map((raw) => [raw.id, primaryId(step.links.get(raw.id) ?? [])]));
        return {
          item: { step, accountIds },
          companyIds: [...accountIds.values()].filter((id): id is string => id !== null),
          size: step.records.length,
        };
      },
    );
    for await (const { step, accountIds } of withCompanyNames(steps, companies, options.signal)) {
      if (step.cursor) lastCursor = step.cursor;
      if (step.kind === 'records') {
        const records = step.records.map((raw) => {
          const id = accountIds.get(raw.id) ?? null;
          return toDeal(raw, ctx, companies.accountOf(id));
        });
        liveIds?.push(...records.map((d) => d.externalId));
        if (step.withHistory) {
          yield { records, tombstones: [], cursor: step.cursor, history: historyOf(step.records, this.connectionId, stageIds) };
        } else {
          historyComplete = false;
          yield { records, tombstones: [], cursor: step.cursor };
        }
      } else {
        yield { records: [], tombstones: step.tombstones, cursor: step.cursor };
      }
    }
    // Reached only when the walk ran to its end (a stop or an error leaves nothing to reuse).
    if (walks(options) && lastCursor !== null && lastCursor.walk === undefined) {
      this.lastDealWalk = { historyCursor: historyComplete ? lastCursor : null, liveIds };
    }
  }

  /**
   * Exact stage moves and close-date/amount changes from HubSpot's property history of `dealstage`,
   * `closedate` and `amount` (HISTORY_PROPERTIES); the list and search endpoints' `hs_date_entered_*`
   * keep only the last entry per stage and no field changes at all.
   *
   * Fewest calls that are correct (N deals, C changed since the cursor):
   * - Full: the list endpoint with `propertiesWithHistory`, which pages at most 50 with history
   *   (https://developers.hubspot.com/docs/api-reference/crm-objects-v3/basic/get-crm-v3-objects-objectType):
   *   N/50 calls. Listing at 100 and then batch-reading history would be N/100 + N/50.
   * - Incremental: search cannot return history, so the search pages (200 ids each, the cursor as
   *   in pullDeals) are followed by batch reads with `propertiesWithHistory`, 50 inputs a call
   *   (HubSpot answers "The maximum number of inputs supported in a batch request for property
   *   histories is 50"; https://developers.hubspot.com/docs/api-reference/crm-objects-v3/batch/post-crm-v3-objects-objectType-batch-read):
   *   C/200 + C/50 calls, against N/50 for listing everything again.
   * One page per list or search page; a search page's cursor is yielded only once every deal on it
   * has been read, so it never runs ahead of unread data. A deal met again at the same stamp (the
   * window split re-reads a stamp inclusively) is not read twice in one pull.
   */
  async *pullHistory(options: PullOptions): AsyncIterable<HistoryPage> {
    const { signal } = options;
    const stageIds = (await this.stages(signal)).map((s) => s.id);
    const historyProperties = [...HISTORY_PROPERTIES];
    const pageOf = (records: RawObject[], cursor: SyncCursor | null): HistoryPage => ({
      ...historyOf(records, this.connectionId, stageIds),
      cursor,
    });

    // The full deal walk just before carried every deal's history on its pages: nothing to read again.
    const carried = this.lastDealWalk?.historyCursor;
    if (carried && options.since?.walk === undefined && (options.mode === 'full' || options.since === null)) {
      yield { stageChanges: [], fieldChanges: [], cursor: carried };
      return;
    }

    if (walks(options)) {
      const walk = this.fullWalk('history', HISTORY_PHASES, options.since);
      const seen = new Set<string>();
      for (const { phase, from } of walk.pending()) {
        const query = { properties: ['hs_object_id'], propertiesWithHistory: historyProperties };
        for await (const page of listPages(this.client, 'deals', query, signal, this.listFrom('history', phase, from))) {
          const fresh = page.records.filter((r) => !seen.has(r.id) && seen.add(r.id));
          yield pageOf(fresh, walk.cursorAfter(phase, page.next));
        }
      }
      return;
    }

    const since = options.since;
    if (since === null) return;
    const fromMs = Date.parse(since.stamp) - this.lookbackMs();
    /** Deal id -> the hs_lastmodifieddate at which this pull read its history. */
    const readAt = new Map<string, number>();
    for await (const page of searchChanged(this.client, 'deals', { fromMs, properties: ['hs_object_id'], signal })) {
      const due = new Map<string, number | null>();
      for (const r of page.records) {
        const stampMs = toEpochMs(r.properties?.hs_lastmodifieddate);
        const read = readAt.get(r.id);
        if (read === undefined || stampMs === null || stampMs > read) due.set(r.id, stampMs);
      }
      const records: RawObject[] = [];
      for (const group of chunks([...due.keys()], HISTORY_BATCH_LIMIT)) {
        const response = await this.client.batchRead('deals', group, ['hs_object_id'], signal, historyProperties);
        // A deal archived since the search is missing (207): the deal pull tombstones it.
        records.push(...(BatchResponse.parse(response.body).results ?? []));
      }
      for (const [id, stampMs] of due) if (stampMs !== null) readAt.set(id, stampMs);
      yield pageOf(records, this.pageCursor(page, since));
    }
  }

  /**
   * Deal pages for pullDeals. Full (or no cursor, or an unfinished walk): list endpoint, then
   * archived list, each page's cursor the walk's start plus the position after the page (walk.ts);
   * the last page's is the walk's start alone. Incremental: search from `since.stamp - lookback`,
   * each page's cursor its (max stamp, id); then recently archived deals.
   * Each page comes with its deals' companies (inline on lists, v4 on searches); a page's cursor
   * travels with the page through the hold-ups, so it is never yielded before the page.
   */
  private async *walkDeals(options: PullOptions, properties: string[]): AsyncGenerator<DealStep> {
    const { signal } = options;
    const linked = <M extends { records: RawObject[] }>(pages: AsyncIterable<M>) => this.withLinks('deals', 'companies', pages, signal);

    if (walks(options)) {
      const walk = this.fullWalk('deals', DEAL_PHASES, options.since);
      for (const { phase, from } of walk.pending()) {
        if (phase === DEAL_PHASES[0]) {
          // One walk for the deals and their history: the list with propertiesWithHistory pages at 50
          // and carries the properties and inline companies too (N/50 calls, not N/100 + N/50).
          const query = { properties, propertiesWithHistory: [...HISTORY_PROPERTIES], associations: ['companies'] };
          const list = listPages(this.client, 'deals', query, signal, this.listFrom('deals', phase, from));
          const pages = mapPages(list, (page) => ({ records: page.records, cursor: walk.cursorAfter(phase, page.next) }));
          for await (const page of linked(pages)) {
            yield { kind: 'records', records: page.records, cursor: page.cursor, links: page.links, withHistory: true };
          }
        } else {
          for await (const page of this.archivedPages('deals', signal, this.listFrom('deals', phase, from))) {
            yield { kind: 'tombstones', tombstones: page.records.map((r) => r.id), cursor: walk.cursorAfter(phase, page.next) };
          }
        }
      }
      return;
    }
    const since = options.since;
    if (since === null) return;
    const fromMs = Date.parse(since.stamp) - this.lookbackMs();
    for await (const page of linked(searchChanged(this.client, 'deals', { fromMs, properties, signal }))) {
      yield { kind: 'records', records: page.records, cursor: this.pageCursor(page, since), links: page.links, withHistory: false };
    }
    const archived = await this.archivedSince('deals', fromMs, signal);
    if (archived.length > 0) yield { kind: 'tombstones', tombstones: archived, cursor: null };
  }

  /**
   * Pages with each record's links to `to`. A page that carries inline associations (the list
   * endpoint's `associations=`) is used as is, except records whose inline list was cut at 100
   * (`paging.next`), which are read through v4; other pages are held back until up to 1,000 ids
   * are pending and resolved with one v4 batch read, so links cost at most one call per 1,000
   * records. Pages come out in the order they went in.
   */
  private async *withLinks<M extends { records: RawObject[] }>(
    from: HubSpotObjectType,
    to: HubSpotObjectType,
    pages: AsyncIterable<M>,
    signal?: AbortSignal,
  ): AsyncGenerator<M & { links: Map<string, AssociatedRecord[]> }> {
    let held: M[] = [];
    let heldIds = 0;
    let largestPage = 0;
    const flush = async function* (this: HubSpotConnector) {
      if (held.length === 0) return;
      const links = await readAssociated(
        this.client,
        from,
        to,
        held.flatMap((p) => p.records.map((r) => r.id)),
        signal,
      );
      for (const page of held) yield { ...page, links };
      held = [];
      heldIds = 0;
    }.bind(this);

    for await (const page of pages) {
      largestPage = Math.max(largestPage, page.records.length);
      const inline = page.records.some((r) => r.associations !== null && r.associations !== undefined);
      if (inline || page.records.length === 0) {
        yield* flush();
        const links = new Map(page.records.map((r) => [r.id, inlineAssociated(r, from, to)]));
        // Inline associations stop at 100 per record with `paging.next`: the records cut short are
        // read again through v4 (1,000 records a call, per-record paging followed), which costs one
        // call for the page rather than one per record and next link.
        const cut = page.records.filter((r) => r.associations?.[to]?.paging?.next).map((r) => r.id);
        if (cut.length > 0) for (const [id, records] of await readAssociated(this.client, from, to, cut, signal)) links.set(id, records);
        yield { ...page, links };
        continue;
      }
      held.push(page);
      heldIds += page.records.length;
      if (heldIds + largestPage > ASSOCIATION_BATCH_LIMIT) yield* flush();
    }
    yield* flush();
  }

  /** Cursor after a search page; never behind the cursor the pull started from. */
  private pageCursor(page: ChangedPage, since: SyncCursor): SyncCursor {
    const sinceMs = Date.parse(since.stamp);
    return page.frontierMs > sinceMs ? cursorOf(page.frontierMs, page.frontierId) : since;
  }

  /** The archived list of `type` (ids and archivedAt only), page by page, from the token `from`. */
  private archivedPages(type: HubSpotObjectType, signal?: AbortSignal, from?: ListFrom): AsyncGenerator<ListPage> {
    return listPages(this.client, type, { properties: ['hs_object_id'], archived: true }, signal, from);
  }

  /** Ids of records of `type` archived at or after `fromMs` (the archived list holds 90 days). */
  private async archivedSince(type: HubSpotObjectType, fromMs: number, signal?: AbortSignal): Promise<string[]> {
    const ids: string[] = [];
    for await (const page of this.archivedPages(type, signal)) {
      for (const r of page.records) {
        const at = r.archivedAt ? Date.parse(r.archivedAt) : null;
        if (at === null || at >= fromMs) ids.push(r.id);
      }
    }
    return ids;
  }

  async *pullActivities(options: PullOptions): AsyncIterable<Page<Activity>> {
    const { signal } = options;
    const ctx = { connectionId: this.connectionId, nowMs: this.now() };
    if (walks(options)) {
      // One type after another, then their archived lists: a page's cursor names its type's list.
      const walk = this.fullWalk('activities', [...ACTIVITY_PHASES.keys()], options.since);
      for (const { phase, from } of walk.pending()) {
        const { type, archived } = ACTIVITY_PHASES.get(phase)!;
        if (archived) {
          for await (const page of this.archivedPages(type, signal, this.listFrom('activities', phase, from))) {
            yield { records: [], tombstones: page.records.map((r) => r.id), cursor: walk.cursorAfter(phase, page.next) };
          }
          continue;
        }
        const list = listPages(
          this.client,
          type,
          { properties: ACTIVITY_PROPERTIES[type], associations: ['deals'] },
          signal,
          this.listFrom('activities', phase, from),
        );
        const pages = mapPages(list, (page) => ({ records: page.records, cursor: walk.cursorAfter(phase, page.next) }));
        for await (const page of this.withLinks(type, 'deals', pages, signal)) {
          const records = page.records.map((raw) =>
            toActivity(
              raw,
              type,
              (page.links.get(raw.id) ?? []).map((deal) => deal.id),
              ctx,
            ),
          );
          yield { records, tombstones: [], cursor: page.cursor };
        }
      }
      return;
    }

    // Five searches merged by frontier (activity-merge.ts): no page's cursor passes a record still
    // to come from a type that lags behind or is still held for its deal links.
    const since = options.since;
    if (since === null) return;
    const sinceMs = Date.parse(since.stamp);
    const fromMs = sinceMs - this.lookbackMs();
    yield* mergeByFrontier({
      searches: ACTIVITY_TYPES.map((type) => ({
        type,
        pages: searchChanged(this.client, type, { fromMs, properties: ACTIVITY_PROPERTIES[type], signal }),
      })),
      fromMs,
      since,
      links: (type, ids) => readLinks(this.client, type, 'deals', ids, signal),
      map: (raw, type, dealIds) => toActivity(raw, type, dealIds, ctx),
      batchLimit: ASSOCIATION_BATCH_LIMIT,
      pageLimit: SEARCH_LIMIT,
    });
    const tombstones: string[] = [];
    for (const type of ACTIVITY_TYPES) tombstones.push(...(await this.archivedSince(type, fromMs, signal)));
    if (tombstones.length > 0) yield { records: [], tombstones, cursor: null };
  }

  async pullOwners(signal?: AbortSignal): Promise<Owner[]> {
    const owners = new Map<string, Owner>();
    for (const archived of [false, true]) {
      let after: string | undefined;
      do {
        const response = await this.client.getOwners({ after, archived }, signal);
        const page = OwnersResponse.parse(response.body);
        for (const raw of page.results ?? []) {
          if (!owners.has(raw.id)) owners.set(raw.id, toOwner(raw, this.connectionId, archived || raw.archived === true));
        }
        after = page.paging?.next?.after ?? undefined;
      } while (after);
    }
    return [...owners.values()];
  }

  async pullStages(signal?: AbortSignal): Promise<Stage[]> {
    const response = await this.client.getPipelines(signal);
    const stages = toStages(PipelinesResponse.parse(response.body).results ?? [], this.connectionId);
    // Later pulls of this connector reuse them for their property lists.
    this.stagesCache = Promise.resolve(stages);
    return stages;
  }

  async *listDealIds(signal?: AbortSignal): AsyncIterable<string[]> {
    const seen = this.lastDealWalk?.liveIds;
    this.lastDealWalk = null;
    if (seen) {
      // The full walk just before listed every live deal from the start of the list.
      for (const ids of chunks(seen, LIST_LIMIT)) yield ids;
      return;
    }
    for await (const page of listPages(this.client, 'deals', { properties: ['hs_object_id'] }, signal)) {
      yield page.records.map((r) => r.id);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Webhook fast path

  async fetchDeal(dealId: string, signal?: AbortSignal): Promise<DealBundle> {
    return (await this.fetchDeals([dealId], signal)).get(dealId) ?? { deal: null, activities: [], stageChanges: [], fieldChanges: [] };
  }

  /**
   * The fast path for many deals at once (a burst of webhooks): the same reads as one deal's, each a
   * batch call over all of them (deals 50 a call with property history, v4 associations 1,000,
   * activities 100), so a batch of deals costs about what one deal did.
   */
  async fetchDeals(dealIds: readonly string[], signal?: AbortSignal): Promise<Map<string, DealBundle>> {
    const ctx = await this.dealContext(signal);
    const stageIds = [...ctx.stages.keys()];
    const ids = [...new Set(dealIds)];
    // With property history the moves are exact (revisits, close date and amount changes); where an
    // API answers without it, the stage moves are rebuilt from the date-entered properties.
    const raws = new Map<string, RawObject>();
    for (const group of chunks(ids, HISTORY_BATCH_LIMIT)) {
      const read = await this.client.batchRead('deals', group, dealProperties(ctx), signal, [...HISTORY_PROPERTIES]);
      for (const raw of BatchResponse.parse(read.body).results ?? []) if (group.includes(raw.id)) raws.set(raw.id, raw);
    }
    const out = new Map<string, DealBundle>(ids.map((id) => [id, { deal: null, activities: [], stageChanges: [], fieldChanges: [] }]));
    const found = [...raws.keys()];
    if (found.length === 0) return out;

    const companies = new CompanyNames(this.client, this.log);
    const readAccounts = async () => {
      const accounts = new Map(
        [...(await readAssociated(this.client, 'deals', 'companies', found, signal))].map(([id, records]) => [id, primaryId(records)]),
      );
      const accountIds = [...accounts.values()].filter((a): a is string => a !== null);
      if (accountIds.length > 0) await companies.load(accountIds, signal);
      return accounts;
    };
    const activities = new Map<string, Activity[]>(found.map((id) => [id, []]));
    const actx = { connectionId: this.connectionId, nowMs: this.now() };
    // The companies and the activity types are read side by side (each chain's reads depend on each
    // other: associations, then records), so a batch waits for the longest chain (three calls), not
    // for the sum of them; the connection's rate gate still paces every call.
    const [accounts, perType] = await Promise.all([
      readAccounts(),
      Promise.all(
        ACTIVITY_TYPES.map(async (type) => {
          const byDeal = await readLinks(this.client, 'deals', type, found, signal);
          const activityIds = [...new Set([...byDeal.values()].flat())];
          const records = new Map<string, Activity>();
          if (activityIds.length === 0) return { byDeal, records };
          // The activity's other deal links are read too, so an upsert never drops them.
          const links = await readLinks(this.client, type, 'deals', activityIds, signal);
          for (const group of chunks(activityIds, BATCH_LIMIT)) {
            const response = await this.client.batchRead(type, group, ACTIVITY_PROPERTIES[type], signal);
            for (const record of BatchResponse.parse(response.body).results ?? []) {
              records.set(
                record.id,
                toActivity(
                  record,
                  type,
                  links.get(record.id) ?? [...byDeal].filter(([, a]) => a.includes(record.id)).map(([d]) => d),
                  actx,
                ),
              );
            }
          }
          return { byDeal, records };
        }),
      ),
    ]);
    for (const { byDeal, records } of perType) {
      for (const [dealId, linked] of byDeal) {
        for (const activityId of new Set(linked)) {
          const activity = records.get(activityId);
          if (activity) activities.get(dealId)?.push(activity);
        }
      }
    }
    for (const [id, raw] of raws) {
      const accountId = accounts.get(id) ?? null;
      out.set(id, {
        deal: toDeal(raw, ctx, companies.accountOf(accountId)),
        activities: activities.get(id) ?? [],
        stageChanges: toStageChanges(raw, { connectionId: this.connectionId, stageIds }),
        fieldChanges: toFieldChanges(raw, this.connectionId),
      });
    }
    return out;
  }

  annotate(batch: AnnotationBatch, signal?: AbortSignal): Promise<AnnotationResult> {
    return this.writeback.annotate(batch, signal);
  }

  /** See HubSpotWriteback.findWarnings: `scope.dealIds` reads the deals' notes/tasks instead of searching. */
  findWarnings(keys: string[], signal?: AbortSignal, scope?: { dealIds?: string[]; taskKeys?: string[] }): Promise<Map<string, string>> {
    return this.writeback.findWarnings(keys, signal, scope);
  }

  doctor(options: { fix?: boolean } = {}): Promise<DoctorReport> {
    return runDoctor(this.client, this.settings, options);
  }

  usage(): ApiUsage {
    return this.counter.snapshot();
  }

  resetUsage(): void {
    this.counter.reset();
  }
}
