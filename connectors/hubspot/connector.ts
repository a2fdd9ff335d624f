/**
 * HubSpot implementation of the connector contract. Full syncs walk the list endpoints (associations
 * inline); incremental syncs walk search on hs_lastmodifieddate (paging.ts) and read deal links with
 * the v4 batch association endpoint; archived records become tombstones through `archived=true`.
 */
import { createHash } from 'node:crypto';
import { CrmError } from '../../src/domain/errors.js';
import type { Activity, ApiUsage, Deal, HubSpotConnection, Owner, Stage, SyncCursor } from '../../src/domain/model/index.js';
import type {
  AnnotationBatch,
  AnnotationOutcome,
  AnnotationResult,
  ConnectorDeps,
  ConnectorLogger,
  CrmConnector,
  DealBundle,
  DoctorReport,
  HistoryPage,
  Page,
  PullOptions,
  WarningAnnotation,
} from '../types.js';
import { defaultRetryPolicy, type RetryPolicy } from '../shared/retry.js';
import { UsageCounter } from '../shared/usage.js';
import { type BatchCreateInput, HubSpotClient, type HubSpotObjectType } from './client.js';
import {
  ACTIVITY_OBJECT_TYPES,
  ACTIVITY_PROPERTIES,
  type ActivityObjectType,
  annotationMarker,
  DEFAULT_DISCOUNT_PROPERTY,
  DEFAULT_FLAGS_PROPERTY,
  DEFAULT_LOST_REASON_PROPERTY,
  DEFAULT_SCORE_PROPERTY,
  type DealMapContext,
  dealProperties,
  readAnnotationKey,
  stageDateProperties,
  toActivity,
  toDeal,
  toFieldChanges,
  toOwner,
  toStageChanges,
  toStages,
} from './mappers.js';
import { type ChangedPage, listPages, searchChanged } from './paging.js';
import {
  AssociationBatchResponse,
  type BatchError,
  BatchResponse,
  OwnersResponse,
  PipelinesResponse,
  PropertiesResponse,
  type RawObject,
  SearchResponse,
} from './schemas.js';

/** HUBSPOT_DEFINED association type ids (https://developers.hubspot.com/docs/api/crm/associations/v4). */
export const ASSOCIATION_TYPE = { noteToDeal: 214, taskToDeal: 216 } as const;
/** Batch create/update/read take at most 100 inputs; v4 association batch read takes 1,000. */
const BATCH_LIMIT = 100;
const ASSOCIATION_BATCH_LIMIT = 1_000;
const ACTIVITY_TYPES = Object.values(ACTIVITY_OBJECT_TYPES);

/** Knobs that are not connection settings (tests shorten backoffs; clock for "has this meeting happened"). */
export interface HubSpotConnectorOptions {
  retry?: RetryPolicy;
  now?: () => number;
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

async function* mapPages<A, B>(pages: AsyncIterable<A>, f: (page: A) => B): AsyncGenerator<B> {
  for await (const page of pages) yield f(page);
}

function cursorOf(ms: number, id: string): SyncCursor {
  return { stamp: new Date(ms).toISOString(), id };
}

function escapeHtml(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

/** Token inside each annotation that HubSpot's search tokenizer keeps whole (letters and digits only). */
export function annotationToken(key: string): string {
  return `dwk${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
}

export class HubSpotConnector implements CrmConnector {
  readonly provider = 'hubspot' as const;
  readonly connectionId: string;
  private readonly client: HubSpotClient;
  private readonly counter = new UsageCounter();
  private readonly log: ConnectorLogger;
  private readonly now: () => number;
  private stagesCache: Promise<Stage[]> | null = null;

  constructor(
    private readonly settings: HubSpotConnection,
    deps: ConnectorDeps,
    options: HubSpotConnectorOptions = {},
  ) {
    this.connectionId = settings.id;
    this.log = deps.logger.child({ module: 'connector.hubspot', connectionId: settings.id });
    this.now = options.now ?? Date.now;
    this.client = new HubSpotClient({
      baseUrl: settings.baseUrl,
      accessToken: settings.accessToken,
      rateGate: deps.rateGate,
      usage: this.counter,
      retry: options.retry ?? defaultRetryPolicy,
      logger: this.log,
    });
  }

  // -------------------------------------------------------------------------------------------
  // Field names

  private get scoreProperty(): string {
    return this.settings.fieldMap.score ?? DEFAULT_SCORE_PROPERTY;
  }

  private get flagsProperty(): string {
    return this.settings.fieldMap.flags ?? DEFAULT_FLAGS_PROPERTY;
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

  // -------------------------------------------------------------------------------------------
  // Pulls

  async *pullDeals(options: PullOptions): AsyncIterable<Page<Deal>> {
    const ctx = await this.dealContext(options.signal);
    for await (const step of this.walkDeals(options, dealProperties(ctx), true)) {
      if (step.kind === 'records') {
        const records = step.records.map((raw) => toDeal(raw, ctx, step.links.get(raw.id)?.[0] ?? null));
        yield { records, tombstones: [], cursor: step.cursor };
      } else {
        yield { records: [], tombstones: step.tombstones, cursor: step.cursor };
      }
    }
  }

  async *pullHistory(options: PullOptions): AsyncIterable<HistoryPage> {
    const stages = await this.stages(options.signal);
    const stageIds = stages.map((s) => s.id);
    const properties = ['hs_lastmodifieddate', 'dealstage', ...stageDateProperties(stageIds)];
    for await (const step of this.walkDeals(options, properties, false)) {
      if (step.kind !== 'records') {
        if (step.cursor) yield { stageChanges: [], fieldChanges: [], cursor: step.cursor };
        continue;
      }
      yield {
        stageChanges: step.records.flatMap((raw) => toStageChanges(raw, { connectionId: this.connectionId, stageIds })),
        fieldChanges: step.records.flatMap((raw) => toFieldChanges(raw, this.connectionId)),
        cursor: step.cursor,
      };
    }
  }

  /**
   * Deal pages for pullDeals/pullHistory. Full (or no cursor): list endpoint, then archived list;
   * page cursors are null until the end, whose cursor is the instant the walk began (a list is not
   * ordered by modification, so only that instant is a safe resume point). Incremental: search from
   * `since.stamp - lookback`, each page's cursor its (max stamp, id); then recently archived deals.
   * With `withCompanies`, each page comes with its deals' companies.
   */
  private async *walkDeals(
    options: PullOptions,
    properties: string[],
    withCompanies: boolean,
  ): AsyncGenerator<
    | { kind: 'records'; records: RawObject[]; cursor: SyncCursor | null; links: Map<string, string[]> }
    | { kind: 'tombstones'; tombstones: string[]; cursor: SyncCursor | null }
  > {
    const { signal } = options;
    const linked = <M extends { records: RawObject[] }>(pages: AsyncIterable<M>) =>
      withCompanies ? this.withLinks('deals', 'companies', pages, signal) : mapPages(pages, (page) => ({ ...page, links: new Map<string, string[]>() }));

    if (options.mode === 'full' || options.since === null) {
      const startedMs = this.now();
      const pages = mapPages(listPages(this.client, 'deals', { properties, associations: withCompanies ? ['companies'] : [] }, signal), (records) => ({ records }));
      for await (const page of linked(pages)) {
        yield { kind: 'records', records: page.records, cursor: null, links: page.links };
      }
      for await (const records of listPages(this.client, 'deals', { properties: ['hs_object_id'], archived: true }, signal)) {
        if (records.length > 0) yield { kind: 'tombstones', tombstones: records.map((r) => r.id), cursor: null };
      }
      yield { kind: 'tombstones', tombstones: [], cursor: cursorOf(startedMs, '') };
      return;
    }
    const since = options.since;
    const fromMs = Date.parse(since.stamp) - this.lookbackMs();
    for await (const page of linked(searchChanged(this.client, 'deals', { fromMs, properties, signal }))) {
      yield { kind: 'records', records: page.records, cursor: this.pageCursor(page, since), links: page.links };
    }
    const archived = await this.archivedSince('deals', fromMs, signal);
    if (archived.length > 0) yield { kind: 'tombstones', tombstones: archived, cursor: null };
  }

  /**
   * Pages with each record's links to `to`. A page that carries inline associations (the list
   * endpoint's `associations=`) is trusted as is; other pages are held back until up to 1,000 ids
   * are pending and resolved with one v4 batch read, so links cost at most one call per 1,000
   * records. Pages come out in the order they went in.
   */
  private async *withLinks<M extends { records: RawObject[] }>(
    from: HubSpotObjectType,
    to: HubSpotObjectType,
    pages: AsyncIterable<M>,
    signal?: AbortSignal,
  ): AsyncGenerator<M & { links: Map<string, string[]> }> {
    let held: M[] = [];
    let heldIds = 0;
    let largestPage = 0;
    const flush = async function* (this: HubSpotConnector) {
      if (held.length === 0) return;
      const links = await this.readLinks(from, to, held.flatMap((p) => p.records.map((r) => r.id)), signal);
      for (const page of held) yield { ...page, links };
      held = [];
      heldIds = 0;
    }.bind(this);

    for await (const page of pages) {
      largestPage = Math.max(largestPage, page.records.length);
      const inline = page.records.some((r) => r.associations !== null && r.associations !== undefined);
      if (inline || page.records.length === 0) {
        yield* flush();
        const links = new Map(page.records.map((r) => [r.id, (r.associations?.[to]?.results ?? []).map((a) => a.id)]));
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

  /** Ids of records of `type` archived at or after `fromMs` (the archived list holds 90 days). */
  private async archivedSince(type: HubSpotObjectType, fromMs: number, signal?: AbortSignal): Promise<string[]> {
    const ids: string[] = [];
    for await (const records of listPages(this.client, type, { properties: ['hs_object_id'], archived: true }, signal)) {
      for (const r of records) {
        const at = r.archivedAt ? Date.parse(r.archivedAt) : null;
        if (at === null || at >= fromMs) ids.push(r.id);
      }
    }
    return ids;
  }

  async *pullActivities(options: PullOptions): AsyncIterable<Page<Activity>> {
    const { signal } = options;
    const ctx = { connectionId: this.connectionId, nowMs: this.now() };
    if (options.mode === 'full' || options.since === null) {
      const startedMs = this.now();
      for (const type of ACTIVITY_TYPES) {
        const pages = mapPages(listPages(this.client, type, { properties: ACTIVITY_PROPERTIES[type], associations: ['deals'] }, signal), (records) => ({ records }));
        for await (const page of this.withLinks(type, 'deals', pages, signal)) {
          yield { records: page.records.map((raw) => toActivity(raw, type, page.links.get(raw.id) ?? [], ctx)), tombstones: [], cursor: null };
        }
      }
      for (const type of ACTIVITY_TYPES) {
        for await (const records of listPages(this.client, type, { properties: ['hs_object_id'], archived: true }, signal)) {
          if (records.length > 0) yield { records: [], tombstones: records.map((r) => r.id), cursor: null };
        }
      }
      yield { records: [], tombstones: [], cursor: cursorOf(startedMs, '') };
      return;
    }

    // Five searches merged by frontier: the next page is always taken from the type that is furthest
    // behind, and a page's cursor is the smallest frontier of the types still walking, so resuming
    // from it never skips a record of a type that lags behind another.
    const since = options.since;
    const sinceMs = Date.parse(since.stamp);
    const fromMs = sinceMs - this.lookbackMs();
    const walkers = ACTIVITY_TYPES.map((type) => ({
      type,
      pages: searchChanged(this.client, type, { fromMs, properties: ACTIVITY_PROPERTIES[type], signal }),
      frontierMs: fromMs,
      frontierId: '',
      done: false,
    }));
    let emitted: SyncCursor = since;
    for (;;) {
      const active = walkers.filter((w) => !w.done);
      if (active.length === 0) break;
      const walker = active.reduce((a, b) => (b.frontierMs < a.frontierMs ? b : a));
      const next = await walker.pages.next();
      if (next.done) {
        walker.done = true;
        continue;
      }
      walker.frontierMs = next.value.frontierMs;
      walker.frontierId = next.value.frontierId;
      const links = await this.readLinks(walker.type, 'deals', next.value.records.map((r) => r.id), signal);
      const records = next.value.records.map((raw) => toActivity(raw, walker.type, links.get(raw.id) ?? [], ctx));
      const lagging = walkers.filter((w) => !w.done);
      const minFrontier = lagging.length > 0 ? Math.min(...lagging.map((w) => w.frontierMs)) : walker.frontierMs;
      const laggingWalker = lagging.find((w) => w.frontierMs === minFrontier) ?? walker;
      if (minFrontier > Date.parse(emitted.stamp)) emitted = cursorOf(minFrontier, laggingWalker.frontierId);
      yield { records, tombstones: [], cursor: emitted };
    }
    // Every type is exhausted: the furthest frontier is a safe resume point.
    const finalMs = Math.max(...walkers.map((w) => w.frontierMs));
    if (finalMs > Date.parse(emitted.stamp)) {
      const last = walkers.find((w) => w.frontierMs === finalMs);
      emitted = cursorOf(finalMs, last?.frontierId ?? '');
      yield { records: [], tombstones: [], cursor: emitted };
    }
    const tombstones: string[] = [];
    for (const type of ACTIVITY_TYPES) tombstones.push(...(await this.archivedSince(type, fromMs, signal)));
    if (tombstones.length > 0) yield { records: [], tombstones, cursor: null };
  }

  /** Links from records of `from` to records of `to`, through the v4 batch read (1,000 inputs a call). */
  private async readLinks(from: HubSpotObjectType, to: HubSpotObjectType, ids: string[], signal?: AbortSignal): Promise<Map<string, string[]>> {
    const links = new Map<string, string[]>();
    let pending = ids.map((id) => ({ id }) as { id: string; after?: string });
    while (pending.length > 0) {
      const next: { id: string; after: string }[] = [];
      for (const inputs of chunk(pending, ASSOCIATION_BATCH_LIMIT)) {
        const response = await this.client.readAssociations(from, to, inputs, signal);
        const body = AssociationBatchResponse.parse(response.body);
        for (const result of body.results ?? []) {
          const fromId = result._from?.id ?? result.from?.id;
          if (!fromId) continue;
          const list = links.get(fromId) ?? [];
          for (const target of result.to ?? []) list.push(target.toObjectId);
          links.set(fromId, list);
          const after = result.paging?.next?.after;
          if (after) next.push({ id: fromId, after });
        }
      }
      pending = next;
    }
    return links;
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
    for await (const records of listPages(this.client, 'deals', { properties: ['hs_object_id'] }, signal)) {
      yield records.map((r) => r.id);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Webhook fast path

  async fetchDeal(dealId: string, signal?: AbortSignal): Promise<DealBundle> {
    const ctx = await this.dealContext(signal);
    const stageIds = [...ctx.stages.keys()];
    // With property history the moves are exact (revisits, close date and amount changes); where an
    // API answers without it, the stage moves are rebuilt from the date-entered properties.
    const read = await this.client.batchRead('deals', [dealId], dealProperties(ctx), signal, ['dealstage', 'amount', 'closedate']);
    const raw = BatchResponse.parse(read.body).results?.find((r) => r.id === dealId) ?? null;
    if (!raw) return { deal: null, activities: [], stageChanges: [], fieldChanges: [] };

    const companies = await this.readLinks('deals', 'companies', [dealId], signal);
    const deal = toDeal(raw, ctx, companies.get(dealId)?.[0] ?? null);
    const activities: Activity[] = [];
    const actx = { connectionId: this.connectionId, nowMs: this.now() };
    for (const type of ACTIVITY_TYPES) {
      const ids = [...new Set((await this.readLinks('deals', type, [dealId], signal)).get(dealId) ?? [])];
      if (ids.length === 0) continue;
      // The activity's other deal links are read too, so an upsert never drops them.
      const links = await this.readLinks(type, 'deals', ids, signal);
      for (const group of chunk(ids, BATCH_LIMIT)) {
        const response = await this.client.batchRead(type, group, ACTIVITY_PROPERTIES[type], signal);
        for (const record of BatchResponse.parse(response.body).results ?? []) {
          activities.push(toActivity(record, type, links.get(record.id) ?? [dealId], actx));
        }
      }
    }
    return {
      deal,
      activities,
      stageChanges: toStageChanges(raw, { connectionId: this.connectionId, stageIds }),
      fieldChanges: toFieldChanges(raw, this.connectionId),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Write-back

  async annotate(batch: AnnotationBatch, signal?: AbortSignal): Promise<AnnotationResult> {
    const warningKind = this.settings.warningRecord ?? 'note';
    const result: AnnotationResult = { fields: new Map(), warnings: new Map(), warningKind };

    const byDeal = new Map(batch.fields.map((f) => [f.dealId, f]));
    for (const group of chunk([...byDeal.values()], BATCH_LIMIT)) {
      const inputs = group.map((f) => ({
        id: f.dealId,
        properties: { [this.scoreProperty]: String(Math.round(f.score)), [this.flagsProperty]: f.flags.join(';') },
      }));
      const outcomes = await this.runBatch(
        inputs.map((i) => i.id),
        () => this.client.batchUpdate('deals', inputs, signal),
        (record) => record.id,
      );
      for (const [id, outcome] of outcomes) result.fields.set(id, outcome);
    }

    const byKey = new Map(batch.warnings.map((w) => [w.key, w]));
    const objectType = warningKind === 'task' ? 'tasks' : 'notes';
    for (const group of chunk([...byKey.values()], BATCH_LIMIT)) {
      const inputs = group.map((w) => this.warningInput(w, warningKind));
      const outcomes = await this.runBatch(
        group.map((w) => w.key),
        () => this.client.batchCreate(objectType, inputs, signal),
        (record) =>
          readAnnotationKey(record.properties?.hs_note_body ?? record.properties?.hs_task_body) ??
          group.find((w) => record.objectWriteTraceId && annotationToken(w.key) === record.objectWriteTraceId)?.key ??
          null,
      );
      for (const [key, outcome] of outcomes) result.warnings.set(key, outcome);
    }
    return result;
  }

  /**
   * Runs one batch call and reports each input: 200/201 all ok; 207 per record (results vs errors);
   * a failed call fails every record (retryable when the provider may accept it later). Quota and
   * auth errors stop the whole write-back instead.
   */
  private async runBatch(
    keys: string[],
    call: () => Promise<{ status: number; body: unknown }>,
    keyOf: (record: RawObject) => string | null,
  ): Promise<Map<string, AnnotationOutcome>> {
    const outcomes = new Map<string, AnnotationOutcome>();
    let response: { status: number; body: unknown };
    try {
      response = await call();
    } catch (error) {
      if (error instanceof CrmError && (error.code === 'CRM.QUOTA_EXCEEDED' || error.code === 'CRM.AUTH')) throw error;
      const crm = error instanceof CrmError ? error : null;
      const outcome: AnnotationOutcome = {
        ok: false,
        error: crm?.message ?? String(error),
        retryable: crm ? crm.retryable || crm.code === 'CRM.TRANSIENT' : true,
      };
      for (const key of keys) outcomes.set(key, outcome);
      return outcomes;
    }
    const body = BatchResponse.parse(response.body);
    const wanted = new Set(keys);
    for (const record of body.results ?? []) {
      const key = keyOf(record);
      if (key !== null && wanted.has(key)) outcomes.set(key, { ok: true, externalId: record.id });
    }
    for (const error of body.errors ?? []) {
      for (const key of errorKeys(error, wanted)) {
        if (!outcomes.has(key)) outcomes.set(key, { ok: false, error: `${error.category ?? 'ERROR'}: ${error.message ?? 'failed'}`, retryable: isRetryableCategory(error) });
      }
    }
    const unmatched = keys.filter((k) => !outcomes.has(k));
    const results = body.results ?? [];
    if (response.status !== 207) {
      // 200/201 mean every input succeeded; a result that does not name its input falls back to input order.
      const positional = unmatched.length === keys.length && results.length === keys.length;
      keys.forEach((k, i) => {
        if (!outcomes.has(k)) outcomes.set(k, { ok: true, externalId: positional ? (results[i]?.id ?? null) : null });
      });
    } else {
      for (const key of unmatched) {
        outcomes.set(key, { ok: false, error: 'HubSpot answered 207 without a result or an error for this record', retryable: true });
      }
    }
    return outcomes;
  }

  private warningInput(w: WarningAnnotation, kind: 'note' | 'task'): BatchCreateInput {
    const marker = `${annotationMarker(w.key)} ${annotationToken(w.key)}`;
    const html = `<p><strong>${escapeHtml(w.title)}</strong></p><p>${escapeHtml(w.body).replaceAll('\n', '<br>')}</p><p>${escapeHtml(marker)} </p>`; // the space keeps the token whole for HubSpot's tokenizer
    const owner = w.ownerId ? { hubspot_owner_id: w.ownerId } : {};
    if (kind === 'task') {
      const due = w.dueDate ? new Date(`${w.dueDate.slice(0, 10)}T00:00:00.000Z`) : new Date(this.now());
      return {
        properties: {
          hs_timestamp: due.toISOString(),
          hs_task_subject: w.title,
          hs_task_body: html,
          hs_task_status: 'NOT_STARTED',
          hs_task_priority: w.severity === 'critical' ? 'HIGH' : w.severity === 'warning' ? 'MEDIUM' : 'LOW',
          hs_task_type: 'TODO',
          ...owner,
        },
        associations: [{ to: { id: w.dealId }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: ASSOCIATION_TYPE.taskToDeal }] }],
        objectWriteTraceId: annotationToken(w.key),
      };
    }
    return {
      properties: { hs_timestamp: new Date(this.now()).toISOString(), hs_note_body: html, ...owner },
      associations: [{ to: { id: w.dealId }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: ASSOCIATION_TYPE.noteToDeal }] }],
      objectWriteTraceId: annotationToken(w.key),
    };
  }

  /**
   * Finds notes/tasks already written for these keys. With `scope.dealIds` (what the write-back
   * ledger knows) it reads the deals' notes/tasks through v4 associations and batch read, which is
   * strongly consistent and needs no search operator. Without it, it searches the body for each
   * key's token (CONTAINS_TOKEN, five keys per request), which the real API supports but whose index
   * lags writes by a few seconds.
   */
  async findWarnings(keys: string[], signal?: AbortSignal, scope?: { dealIds?: string[] }): Promise<Map<string, string>> {
    const wanted = new Set(keys);
    const found = new Map<string, string>();
    if (wanted.size === 0) return found;
    const kind = this.settings.warningRecord ?? 'note';
    const type = kind === 'task' ? 'tasks' : 'notes';
    const bodyProperty = kind === 'task' ? 'hs_task_body' : 'hs_note_body';
    const collect = (records: RawObject[]) => {
      for (const r of records) {
        const key = readAnnotationKey(r.properties?.[bodyProperty]);
        if (key !== null && wanted.has(key) && !found.has(key)) found.set(key, r.id);
      }
    };

    if (scope?.dealIds && scope.dealIds.length > 0) {
      const links = await this.readLinks('deals', type, [...new Set(scope.dealIds)], signal);
      const ids = [...new Set([...links.values()].flat())];
      for (const group of chunk(ids, BATCH_LIMIT)) {
        const response = await this.client.batchRead(type, group, [bodyProperty], signal);
        collect(BatchResponse.parse(response.body).results ?? []);
      }
      return found;
    }

    for (const group of chunk([...wanted], 5)) {
      let after: string | undefined;
      do {
        const response = await this.client.search(
          type,
          {
            filterGroups: group.map((key) => ({ filters: [{ propertyName: bodyProperty, operator: 'CONTAINS_TOKEN', value: annotationToken(key) }] })),
            sorts: [{ propertyName: 'hs_object_id', direction: 'ASCENDING' }],
            properties: [bodyProperty],
            limit: 200,
            ...(after ? { after } : {}),
          },
          signal,
        );
        const body = SearchResponse.parse(response.body);
        collect(body.results ?? []);
        after = body.paging?.next?.after ?? undefined;
      } while (after);
    }
    return found;
  }

  // -------------------------------------------------------------------------------------------
  // Doctor

  async doctor(options: { fix?: boolean } = {}): Promise<DoctorReport> {
    const checks: DoctorReport['checks'] = [];
    let properties: Map<string, { type: string | null; readOnly: boolean }>;
    try {
      const response = await this.client.getProperties('deals');
      properties = new Map(
        (PropertiesResponse.parse(response.body).results ?? []).map((p) => [p.name, { type: p.type ?? null, readOnly: p.modificationMetadata?.readOnlyValue === true }]),
      );
      checks.push({ name: 'token', ok: true, detail: 'the access token can read deal properties' });
    } catch (error) {
      checks.push({ name: 'token', ok: false, detail: error instanceof Error ? error.message : String(error) });
      return { ok: false, checks };
    }

    const wanted = [
      { name: this.scoreProperty, label: 'dealwatch score', type: 'number' as const, fieldType: 'number' as const, description: 'Deal health score 0-100 written by dealwatch' },
      { name: this.flagsProperty, label: 'dealwatch flags', type: 'string' as const, fieldType: 'text' as const, description: 'Rule ids flagged by dealwatch, separated by ;' },
    ];
    for (const field of wanted) {
      const existing = properties.get(field.name);
      if (existing) {
        checks.push({
          name: `property ${field.name}`,
          ok: !existing.readOnly,
          detail: existing.readOnly ? `${field.name} exists but is read-only` : `${field.name} exists (${existing.type ?? 'unknown type'}) and is writable`,
        });
        continue;
      }
      if (!options.fix) {
        checks.push({ name: `property ${field.name}`, ok: false, detail: `${field.name} is missing on deals; run doctor with --fix to create it` });
        continue;
      }
      try {
        await this.client.createProperty('deals', { ...field, groupName: 'dealinformation' });
        checks.push({ name: `property ${field.name}`, ok: true, detail: `${field.name} created` });
      } catch (error) {
        checks.push({ name: `property ${field.name}`, ok: false, detail: `could not create ${field.name}: ${error instanceof Error ? error.message : String(error)}` });
      }
    }
    const discount = this.settings.fieldMap.discount ?? DEFAULT_DISCOUNT_PROPERTY;
    checks.push({
      name: `property ${discount}`,
      ok: true,
      detail: properties.has(discount) ? `discount read from ${discount}` : `${discount} does not exist: discounts will not be checked (set fieldMap.discount)`,
    });
    return { ok: checks.every((c) => c.ok), checks };
  }

  usage(): ApiUsage {
    return this.counter.snapshot();
  }

  resetUsage(): void {
    this.counter.reset();
  }
}

/** Which inputs a 207 error names: ids (updates) or write-trace ids (creates). */
function errorKeys(error: BatchError, wanted: Set<string>): string[] {
  const named = [...(error.context?.ids ?? []), ...(error.context?.id ?? []), ...(error.id ? [error.id] : [])];
  const byTrace = error.context?.objectWriteTraceId ?? [];
  const out = named.filter((id) => wanted.has(id));
  if (byTrace.length > 0) {
    for (const key of wanted) if (byTrace.includes(annotationToken(key))) out.push(key);
  }
  return out;
}

function isRetryableCategory(error: BatchError): boolean {
  return ['RATE_LIMITS', 'LOCKED', 'INTERNAL_ERROR', 'SERVICE_UNAVAILABLE', 'TIMEOUT'].includes(error.category ?? '');
}
