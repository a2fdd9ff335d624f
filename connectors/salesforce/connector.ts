/**
 * Salesforce implementation of the CrmConnector contract (connectors/types.ts).
 * Incremental pulls read `SystemModstamp >= cursor - lookback ORDER BY SystemModstamp, Id` through
 * queryAll, so ties and late commits are re-read (upserts make that harmless) and deleted rows come
 * back as tombstones. Full pulls above `bulkThreshold` records use Bulk API 2.0, with the same ORDER BY.
 * Every page carries the cursor to resume from: a stream's queries are merged in (stamp, id) order, so
 * a page's last row is a safe position for all of them. A full walk's pages add `walk` (the stream's
 * phase, `after: null`): a walk that stops midway continues from that position on the next run, with
 * no query locator or Bulk job persisted.
 */
import type { Log } from '../../src/logger.js';
import type {
  CrmConnector,
  ConnectorDeps,
  DealBundle,
  DoctorReport,
  HistoryPage,
  Page,
  PullOptions,
  AnnotationBatch,
  AnnotationResult,
} from '../types.js';
import type { Activity, ApiUsage, Deal, Owner, SalesforceConnection, Stage, SyncCursor } from '../../src/domain/model/index.js';
import { CrmError } from '../../src/domain/errors.js';
import { SalesforceClient, type ClientOptions } from './client.js';
import { SoqlReader, cursorOf, maxCursor, mergeOrdered, parseWith, type OrderedSource } from './reader.js';
import { toActivity, toDeal, toFieldChanges, toMeeting, toOwner, toStageChanges, toStages, type DealMapContext } from './mappers.js';
import {
  RawEvent,
  RawOpportunity,
  RawOpportunityFieldHistory,
  RawOpportunityHistory,
  RawOpportunityStage,
  RawTask,
  RawUser,
  DescribeResult,
} from './schemas.js';
import * as soql from './soql.js';
import { chunks } from '../shared/chunks.js';
import { annotate, findWarnings, type WarningRecord } from './writeback.js';
import { flagsFieldDefinition, scoreFieldDefinition, warningKeyFieldDefinition, type CustomFieldCreate } from './custom-fields.js';
import { WARNING_KEY_FIELD } from './mappers.js';
import { pullHistory } from './history.js';

export const DEFAULT_SCORE_FIELD = 'Dealwatch_Score__c';
export const DEFAULT_FLAGS_FIELD = 'Dealwatch_Flags__c';
export const DEFAULT_DISCOUNT_FIELD = 'Discount_Percent__c';

export interface SalesforceConnectorOptions extends Omit<ClientOptions, 'rateGate'> {
  /**
   * How contacts per deal are counted: the OpportunityContactRoles subquery, a number field on
   * Opportunity, or not at all. @defaultValue "contactRoles"
   */
  contactCount?: 'contactRoles' | 'off' | { field: string };
}

interface DealQueryPlan {
  fields: string[];
  /** Same fields without the subquery (Bulk API 2.0 has no subqueries). */
  bulkFields: string[];
  ctx: DealMapContext;
}

export class SalesforceConnector implements CrmConnector {
  readonly provider = 'salesforce' as const;
  readonly connectionId: string;
  private readonly client: SalesforceClient;
  private readonly reader: SoqlReader;
  private readonly now: () => number;
  private plan: Promise<DealQueryPlan> | null = null;
  /** Every live opportunity id the last pull from nothing read to its end (for listDealIds), else null. */
  private lastWalkIds: string[] | null = null;
  private readonly log: Log;

  constructor(
    private readonly settings: SalesforceConnection,
    deps: ConnectorDeps,
    private readonly options: SalesforceConnectorOptions = {},
  ) {
    this.connectionId = settings.id;
    this.log = deps.logger.child({ module: 'connector.salesforce' });
    this.now = options.now ?? Date.now;
    this.client = new SalesforceClient(settings, {
      ...options,
      rateGate: deps.rateGate,
      ...(deps.onApiCall ? { onApiCall: deps.onApiCall } : {}),
    });
    this.reader = new SoqlReader(this.client);
  }

  private get scoreField(): string {
    return this.settings.fieldMap.score ?? DEFAULT_SCORE_FIELD;
  }
  private get flagsField(): string {
    return this.settings.fieldMap.flags ?? DEFAULT_FLAGS_FIELD;
  }
  /** Tasks unless the connection asks for notes (Enhanced Notes: ContentNote + ContentDocumentLink). */
  private get warningRecord(): WarningRecord {
    return this.settings.warningRecord ?? 'task';
  }

  /** Opportunity fields to read, decided once from describe so a missing optional field never breaks a query. */
  private dealPlan(signal?: AbortSignal): Promise<DealQueryPlan> {
    const targetAccount = this.settings.fieldMap.targetAccount ?? null;
    this.plan ??= Promise.all([this.describe('Opportunity', signal), targetAccount ? this.describe('Account', signal) : null]).then(
      ([describe, account]) => {
        const present = new Set(describe.fields.map((f) => f.name));
        const discountField = this.settings.fieldMap.discount ?? DEFAULT_DISCOUNT_FIELD;
        const lostReasonField = this.settings.fieldMap.lostReason ?? null;
        // The subquery needs the OpportunityContactRoles relationship, which describe lists when it can be queried.
        const hasContactRoles = (describe.childRelationships ?? []).some((r) => r.relationshipName === 'OpportunityContactRoles');
        const wanted = this.options.contactCount ?? 'contactRoles';
        const contact = wanted === 'contactRoles' && !hasContactRoles ? 'off' : wanted;
        const contactCountField = typeof contact === 'object' && present.has(contact.field) ? contact.field : null;
        const optional = [
          ...new Set([
            ...soql.OPPORTUNITY_OPTIONAL_FIELDS,
            discountField,
            ...(lostReasonField ? [lostReasonField] : []),
            ...(contactCountField ? [contactCountField] : []),
          ]),
        ].filter((f) => present.has(f));
        // The target-account checkbox lives on Account and is read through the Opportunity's Account relationship.
        const targetAccountField =
          targetAccount && account?.fields.some((f) => f.name === targetAccount && f.type === 'boolean') ? targetAccount : null;
        if (targetAccount && !targetAccountField)
          this.log.warn({ field: targetAccount }, 'fieldMap.targetAccount is not a checkbox on Account: deals keep accountIsTarget null');
        if (targetAccountField) optional.push(`Account.${targetAccountField}`);
        const bulkFields = [...soql.OPPORTUNITY_BASE_FIELDS, ...optional];
        this.log.info(
          { optionalFields: optional, contactCount: typeof contact === 'object' ? contact.field : contact },
          'Opportunity fields planned from describe',
        );
        return {
          bulkFields,
          fields: contact === 'contactRoles' ? [...bulkFields, soql.CONTACT_ROLES_SUBQUERY] : bulkFields,
          ctx: {
            connectionId: this.connectionId,
            discountField: present.has(discountField) ? discountField : null,
            lostReasonField: lostReasonField && present.has(lostReasonField) ? lostReasonField : null,
            contactCountField,
            targetAccountField,
          },
        };
      },
      (err: unknown) => {
        this.plan = null;
        throw err;
      },
    );
    return this.plan;
  }

  /** https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_describe.htm */
  private async describe(object: string, signal?: AbortSignal): Promise<DescribeResult> {
    return parseWith(
      DescribeResult,
      await this.client.get(this.client.dataPath(`/sobjects/${object}/describe`), undefined, signal),
      `${object} describe`,
    );
  }

  private lowerBound(since: SyncCursor | null): string | null {
    return soql.lowerBound(since, this.settings.lookbackMinutes);
  }

  /**
   * Where a pull starts and whether it walks. A cursor with `walk` continues that full walk from its
   * position (whatever the mode); `mode: 'full'` without one walks from the start; otherwise the pull is
   * incremental. Salesforce walks are ordered by (stamp, Id) like incremental pulls, so a walk's position
   * is its cursor's (stamp, id) and `walk.after` stays null: no query locator is ever persisted.
   */
  private pullPlan(options: PullOptions, phase: string): PullPlan {
    const since = options.since;
    const position = since ? { stamp: since.stamp, id: since.id } : null;
    if (since?.walk) {
      if (since.walk.phase !== phase) {
        this.log.warn(
          { phase: since.walk.phase, expected: phase },
          'continuing a full walk under another phase name: its (stamp, id) position still holds',
        );
      }
      return { from: this.lowerBound(position), start: position, walk: phase };
    }
    if (options.mode === 'full') return { from: null, start: null, walk: phase };
    return { from: this.lowerBound(position), start: position, walk: null };
  }

  /**
   * Pages of `object` changed since `from` (inclusive), ordered by (SystemModstamp, Id): REST through
   * queryAll, or, for a walk above `bulkThreshold`, one Bulk API 2.0 job with the same ORDER BY (Bulk API 2.0
   * accepts ORDER BY; it turns PK chunking off, which makes the job slower, not wrong).
   */
  private async changedPages(
    object: string,
    fields: readonly string[],
    bulkFields: readonly string[],
    pull: PullPlan,
    signal?: AbortSignal,
  ): Promise<{ pages: AsyncIterable<unknown[]>; bulk: boolean }> {
    if (pull.walk !== null && (await this.useBulk(object, pull.from, signal))) {
      return {
        pages: this.reader.bulkPages(soql.changedSince(object, bulkFields, 'SystemModstamp', pull.from), { all: true, signal }),
        bulk: true,
      };
    }
    const pages = this.reader.orderedPages(
      (from) => soql.changedSince(object, fields, 'SystemModstamp', from),
      pull.from,
      stampOf('SystemModstamp'),
      { all: true, signal },
    );
    return { pages, bulk: false };
  }

  async *pullDeals(options: PullOptions): AsyncIterable<Page<Deal>> {
    this.lastWalkIds = null;
    const plan = await this.dealPlan(options.signal);
    const pull = this.pullPlan(options, DEAL_PHASE);
    // A pull from nothing reads every opportunity: the reconciliation that follows can reuse its ids.
    const liveIds: string[] | null = pull.from === null ? [] : null;
    const { pages, bulk } = await this.changedPages('Opportunity', plan.fields, plan.bulkFields, pull, options.signal);
    // Bulk API 2.0 has no subqueries: contact roles are counted by one more job.
    const counts =
      bulk && plan.ctx.contactCountField === null && plan.fields.length > plan.bulkFields.length
        ? await this.bulkContactCounts(options.signal)
        : null;
    const source: OrderedSource<RawOpportunity> = {
      pages,
      parse: (r) => {
        const raw = parseWith(RawOpportunity, r, 'Opportunity');
        return counts ? { ...raw, OpportunityContactRoles: { totalSize: counts.get(raw.Id) ?? 0 } } : raw;
      },
      position: (raw) => cursorOf(raw.SystemModstamp, raw.Id),
    };
    const merged = async function* () {
      for await (const page of mergeOrdered([source])) {
        const records = page.rows.filter((r) => !r.IsDeleted).map((r) => toDeal(r, plan.ctx));
        liveIds?.push(...records.map((d) => d.externalId));
        yield { records, tombstones: page.rows.filter((r) => r.IsDeleted).map((r) => r.Id), cursor: page.cursor };
      }
    };
    yield* withPositions(merged(), pull, (cursor) => ({ records: [], tombstones: [], cursor }));
    // Reached only when every page was read.
    this.lastWalkIds = liveIds;
  }

  /** COUNT() first: Bulk API 2.0 pays off only above the threshold (a job costs ~4 calls and seconds of polling). */
  private async useBulk(object: string, from: string | null, signal?: AbortSignal): Promise<boolean> {
    const where = from ? ` WHERE SystemModstamp >= ${soql.soqlDateTime(from)}` : '';
    // https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_count.htm
    const count = await this.reader.count(`SELECT COUNT() FROM ${object}${where}`, { all: true, signal });
    const bulk = count > this.settings.bulkThreshold;
    this.log.info({ object, count, bulkThreshold: this.settings.bulkThreshold, path: bulk ? 'bulk2' : 'rest' }, 'full pull path chosen');
    return bulk;
  }

  /** One Bulk job over OpportunityContactRole instead of a subquery per deal. */
  private async bulkContactCounts(signal?: AbortSignal): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for await (const rows of this.reader.bulkPages('SELECT OpportunityId FROM OpportunityContactRole', { all: false, signal })) {
      for (const row of rows as { OpportunityId?: string }[]) {
        if (row.OpportunityId) counts.set(row.OpportunityId, (counts.get(row.OpportunityId) ?? 0) + 1);
      }
    }
    return counts;
  }

  /**
   * Tasks and Events, two queries from the same lower bound, both ordered by (SystemModstamp, Id) and
   * merged in that order (reader.ts `mergeOrdered`): each page's cursor is its last row, before which
   * every Task and every Event has been yielded, so resuming from any page skips neither object.
   */
  async *pullActivities(options: PullOptions): AsyncIterable<Page<Activity>> {
    const pull = this.pullPlan(options, ACTIVITY_PHASE);
    const nowIso = new Date(this.now()).toISOString();
    const tasks = await this.changedPages('Task', soql.TASK_FIELDS, soql.TASK_FIELDS, pull, options.signal);
    const events = await this.changedPages('Event', soql.EVENT_FIELDS, soql.EVENT_FIELDS, pull, options.signal);
    const sources: OrderedSource<ActivityRow>[] = [
      {
        pages: tasks.pages,
        parse: (r) => ({ kind: 'task', raw: parseWith(RawTask, r, 'Task') }),
        position: (row) => cursorOf(row.raw.SystemModstamp, row.raw.Id),
      },
      {
        pages: events.pages,
        parse: (r) => ({ kind: 'event', raw: parseWith(RawEvent, r, 'Event') }),
        position: (row) => cursorOf(row.raw.SystemModstamp, row.raw.Id),
      },
    ];
    const connectionId = this.connectionId;
    const merged = async function* () {
      for await (const page of mergeOrdered(sources)) {
        const live = page.rows.filter((row) => !row.raw.IsDeleted);
        yield {
          records: live.map((row) => (row.kind === 'task' ? toActivity(row.raw, connectionId) : toMeeting(row.raw, connectionId, nowIso))),
          tombstones: page.rows.filter((row) => row.raw.IsDeleted).map((row) => row.raw.Id),
          cursor: page.cursor,
        };
      }
    };
    yield* withPositions(merged(), pull, (cursor) => ({ records: [], tombstones: [], cursor }));
  }

  /** OpportunityHistory and OpportunityFieldHistory merged by (CreatedDate, Id) (see history.ts). */
  pullHistory(options: PullOptions): AsyncIterable<HistoryPage> {
    const pull = this.pullPlan(options, HISTORY_PHASE);
    return withPositions(pullHistory(this.reader, this.connectionId, pull.from, options.signal), pull, (cursor) => ({
      stageChanges: [],
      fieldChanges: [],
      cursor,
    }));
  }

  async pullOwners(signal?: AbortSignal): Promise<Owner[]> {
    const rows = await this.reader.all(soql.USER_SOQL, { all: false, signal });
    return rows.map((r) => toOwner(parseWith(RawUser, r, 'User'), this.connectionId));
  }

  async pullStages(signal?: AbortSignal): Promise<Stage[]> {
    const rows = await this.reader.all(soql.STAGE_SOQL, { all: false, signal });
    return toStages(
      rows.map((r) => parseWith(RawOpportunityStage, r, 'OpportunityStage')),
      this.connectionId,
    );
  }

  /** Ids compare on their case-sensitive 15-character form (outbound messages may carry either). */
  async isOwnWrite(modifiedBy: string, signal?: AbortSignal): Promise<boolean> {
    const own = await this.client.ownUserId(signal);
    return modifiedBy.length >= 15 && own.length >= 15 && modifiedBy.slice(0, 15) === own.slice(0, 15);
  }

  async *listDealIds(signal?: AbortSignal): AsyncIterable<string[]> {
    const seen = this.lastWalkIds;
    this.lastWalkIds = null;
    if (seen) {
      // The pull just before read every opportunity (queryAll from nothing): no second listing.
      for (let i = 0; i < seen.length; i += 2000) yield seen.slice(i, i + 2000);
      return;
    }
    for await (const rows of this.reader.pages('SELECT Id FROM Opportunity ORDER BY Id', { all: false, signal })) {
      yield (rows as { Id: string }[]).map((r) => r.Id);
    }
  }

  async fetchDeal(dealId: string, signal?: AbortSignal): Promise<DealBundle> {
    return (await this.fetchDeals([dealId], signal)).get(dealId) ?? { deal: null, activities: [], stageChanges: [], fieldChanges: [] };
  }

  /**
   * The fast path for many deals at once (a burst of outbound messages or change events): the five
   * queries of one deal (the opportunities with queryAll, to see a deletion; their Tasks, Events and
   * both histories), each over all of them with `IN (...)`, in parallel, per 200 ids (a GET query URL
   * far below its length limit). So a batch of deals costs five queries, as one deal did.
   * https://developer.salesforce.com/docs/platform/salesforce-soql-sosl/guide/sforce-api-calls-soql-select-comparisonoperators.html
   */
  async fetchDeals(dealIds: readonly string[], signal?: AbortSignal): Promise<Map<string, DealBundle>> {
    const plan = await this.dealPlan(signal);
    const ids = [...new Set(dealIds)];
    const out = new Map<string, DealBundle>(ids.map((id) => [id, { deal: null, activities: [], stageChanges: [], fieldChanges: [] }]));
    const nowIso = new Date(this.now()).toISOString();
    const opts = { all: false, signal };
    for (const group of chunks(ids, 200)) {
      const list = group.map(soql.quote).join(', ');
      const [deals, tasks, events, stages, fields] = await Promise.all([
        this.reader.all(`SELECT ${plan.fields.join(', ')} FROM Opportunity WHERE Id IN (${list})`, { all: true, signal }),
        this.reader.all(`SELECT ${soql.TASK_FIELDS.join(', ')} FROM Task WHERE WhatId IN (${list}) ORDER BY SystemModstamp, Id`, opts),
        this.reader.all(`SELECT ${soql.EVENT_FIELDS.join(', ')} FROM Event WHERE WhatId IN (${list}) ORDER BY SystemModstamp, Id`, opts),
        this.reader.all(
          `SELECT ${soql.OPPORTUNITY_HISTORY_FIELDS.join(', ')} FROM OpportunityHistory ` +
            `WHERE OpportunityId IN (${list}) ORDER BY CreatedDate, Id`,
          opts,
        ),
        this.reader.all(
          `SELECT ${soql.FIELD_HISTORY_FIELDS.join(', ')} FROM OpportunityFieldHistory ` +
            `WHERE OpportunityId IN (${list}) AND ${soql.FIELD_HISTORY_FILTER} ORDER BY CreatedDate, Id`,
          opts,
        ),
      ]);
      // Rows name their deal by its 18-character id, an event may have named the 15-character form:
      // they compare on the first 15 (case-sensitive) characters, as isOwnWrite does.
      const asked = new Map(group.map((id) => [id.slice(0, 15), id]));
      const bundleOf = (id: string | null | undefined) => (id ? out.get(asked.get(id.slice(0, 15)) ?? '') : undefined);
      for (const row of deals) {
        const raw = parseWith(RawOpportunity, row, 'Opportunity');
        const bundle = bundleOf(raw.Id);
        if (bundle && !raw.IsDeleted) bundle.deal = toDeal(raw, plan.ctx);
      }
      for (const row of tasks) {
        const activity = toActivity(parseWith(RawTask, row, 'Task'), this.connectionId);
        bundleOf((row as { WhatId?: string | null }).WhatId)?.activities.push(activity);
      }
      for (const row of events) {
        const activity = toMeeting(parseWith(RawEvent, row, 'Event'), this.connectionId, nowIso);
        bundleOf((row as { WhatId?: string | null }).WhatId)?.activities.push(activity);
      }
      for (const change of toStageChanges(
        stages.map((r) => parseWith(RawOpportunityHistory, r, 'OpportunityHistory')),
        new Map(),
        this.connectionId,
      )) {
        bundleOf(change.dealId)?.stageChanges.push(change);
      }
      for (const change of toFieldChanges(
        fields.map((r) => parseWith(RawOpportunityFieldHistory, r, 'OpportunityFieldHistory')),
        this.connectionId,
      )) {
        bundleOf(change.dealId)?.fieldChanges.push(change);
      }
    }
    return out;
  }

  annotate(batch: AnnotationBatch, signal?: AbortSignal): Promise<AnnotationResult> {
    return annotate(
      this.client,
      this.reader,
      batch,
      { score: this.scoreField, flags: this.flagsField, warningRecord: this.warningRecord },
      signal,
    );
  }

  findWarnings(keys: string[], signal?: AbortSignal, scope?: { dealIds?: string[]; taskKeys?: string[] }): Promise<Map<string, string>> {
    return findWarnings(this.reader, keys, this.warningRecord, signal, scope?.taskKeys);
  }

  async doctor(options: { fix?: boolean } = {}): Promise<DoctorReport> {
    const checks: DoctorReport['checks'] = [];
    const notes = this.warningRecord === 'note';
    try {
      // Tasks are written whatever the warnings are (discount approvals are always Tasks).
      const [opportunity, task] = await Promise.all([this.describe('Opportunity'), this.describe('Task')]);
      const fields = new Map(opportunity.fields.map((f) => [f.name, f]));
      for (const [role, name] of [
        ['score', this.scoreField],
        ['flags', this.flagsField],
      ] as const) {
        const field = fields.get(name);
        if (!field) {
          checks.push(
            options.fix
              ? await this.createField(
                  `Opportunity.${name} (${role})`,
                  role === 'score' ? scoreFieldDefinition(name) : flagsFieldDefinition(name),
                )
              : { name: `Opportunity.${name} (${role})`, ok: false, detail: 'missing; run doctor with --fix to create it' },
          );
          continue;
        }
        checks.push({
          name: `Opportunity.${name} (${role})`,
          ok: Boolean(field.updateable),
          detail: !field.updateable
            ? 'exists but the integration user cannot edit it'
            : role === 'flags' && field.type !== 'multipicklist'
              ? // Written `;`-joined either way; a multi-select picklist (values = rule ids,
                // labels = rule names) is what reps can filter on.
                'exists and is writable; flags are written as text ' +
                '(a multi-select picklist whose values are the rule ids lets reps filter them)'
              : 'exists and is writable',
        });
      }
      for (const [role, name] of [
        ['discount', this.settings.fieldMap.discount],
        ['lostReason', this.settings.fieldMap.lostReason],
      ] as const) {
        if (!name) continue;
        checks.push({
          name: `Opportunity.${name} (${role})`,
          ok: fields.has(name),
          detail: fields.has(name) ? 'exists' : 'missing: fix fieldMap',
        });
      }
      const targetAccount = this.settings.fieldMap.targetAccount;
      if (targetAccount) {
        const field = (await this.describe('Account')).fields.find((f) => f.name === targetAccount);
        checks.push({
          name: `Account.${targetAccount} (targetAccount)`,
          ok: field?.type === 'boolean',
          detail: !field
            ? 'missing: fix fieldMap'
            : field.type === 'boolean'
              ? 'exists'
              : `is a ${field.type ?? 'non-checkbox'} field, not a checkbox`,
        });
      }
      checks.push({
        name: 'Task create',
        ok: task.createable !== false,
        detail:
          task.createable === false
            ? `the integration user cannot create Tasks${notes ? ' (discount approvals are Tasks)' : ''}`
            : 'allowed',
      });
      // Each dealwatch Task (warning or approval) carries its key here, where reps do not read it (Text(80) on Activity).
      const key = task.fields.find((f) => f.name === WARNING_KEY_FIELD);
      const keyName = `Task.${WARNING_KEY_FIELD} (warning key)`;
      if (!key && options.fix) checks.push(await this.createField(keyName, warningKeyFieldDefinition()));
      else
        checks.push({
          name: keyName,
          ok: Boolean(key?.createable ?? key?.updateable),
          detail: !key ? `missing: a Text(80) custom field ${WARNING_KEY_FIELD} on Activity; run doctor with --fix to create it` : 'exists',
        });
    } catch (err) {
      checks.push({ name: 'describe', ok: false, detail: err instanceof Error ? err.message : String(err) });
    }
    if (notes) checks.push(...(await this.noteChecks()));
    return { ok: checks.every((c) => c.ok), checks };
  }

  /** Creates one custom field through the Tooling API (see custom-fields.ts); a refusal is the check's detail. */
  private async createField(name: string, definition: CustomFieldCreate): Promise<DoctorReport['checks'][number]> {
    try {
      await this.client.send('POST', this.client.dataPath('/tooling/sobjects/CustomField'), definition, { idempotent: false });
      return {
        name,
        ok: true,
        detail:
          `created ${definition.FullName} (${String(definition.Metadata['type'])}); ` +
          'the integration user needs Edit field-level security on it',
      };
    } catch (err) {
      return { name, ok: false, detail: `could not create ${definition.FullName}: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  /**
   * warningRecord 'note': the integration user must create ContentNote (Title, Content) and
   * ContentDocumentLink records. describe answers NOT_FOUND for ContentNote when Notes are off in the org.
   */
  private async noteChecks(): Promise<DoctorReport['checks']> {
    const checks: DoctorReport['checks'] = [];
    for (const [object, fieldNames] of [
      ['ContentNote', ['Title', 'Content']],
      ['ContentDocumentLink', ['ContentDocumentId', 'LinkedEntityId', 'ShareType', 'Visibility']],
    ] as const) {
      const name = `${object} create`;
      try {
        const describe = await this.describe(object);
        const fields = new Map(describe.fields.map((f) => [f.name, f]));
        const missing = fieldNames.filter((f) => fields.get(f)?.createable === false || !fields.has(f));
        const ok = describe.createable !== false && missing.length === 0;
        checks.push({
          name,
          ok,
          detail:
            describe.createable === false
              ? `the integration user cannot create ${object} records (warningRecord: 'note')`
              : missing.length > 0
                ? `the integration user cannot set ${missing.join(', ')}`
                : 'allowed',
        });
      } catch (err) {
        const notFound = err instanceof CrmError && err.code === 'CRM.NOT_FOUND';
        checks.push({
          name,
          ok: false,
          detail:
            notFound && object === 'ContentNote'
              ? "ContentNote is not available: turn on Notes (Setup > Notes Settings) or set warningRecord: 'task'"
              : err instanceof Error
                ? err.message
                : String(err),
        });
      }
    }
    return checks;
  }

  usage(): ApiUsage {
    return this.client.usage();
  }

  resetUsage(): void {
    this.client.resetUsage();
  }
}

/** Walk phases: one per stream, since a stream's objects are merged and walked together. */
export const DEAL_PHASE = 'Opportunity';
export const ACTIVITY_PHASE = 'Task+Event';
export const HISTORY_PHASE = 'OpportunityHistory+OpportunityFieldHistory';

interface PullPlan {
  /** Inclusive lower bound of the queries (cursor stamp minus look-back), or null for everything. */
  from: string | null;
  /** Position the pull starts from (the cursor without `walk`): page cursors never go behind it. */
  start: SyncCursor | null;
  /** Phase of the full walk this pull makes or continues, or null for an incremental pull. */
  walk: string | null;
}

type ActivityRow = { kind: 'task'; raw: RawTask } | { kind: 'event'; raw: RawEvent };

/** The stamp field of a raw row, for re-sending a query from where it stopped. */
const stampOf =
  (field: string) =>
  (row: unknown): string | null => {
    const value = (row as Record<string, unknown> | null)?.[field];
    return typeof value === 'string' ? value : null;
  };

/**
 * Page cursors as persisted: never behind the position the pull started from; during a walk each
 * carries `walk: { phase, after: null }`, and once the walk is over one more (empty) page carries the
 * final position without `walk`, from which later pulls go incremental.
 */
async function* withPositions<P extends { cursor: SyncCursor | null }>(
  pages: AsyncIterable<P>,
  pull: PullPlan,
  empty: (cursor: SyncCursor) => P,
): AsyncIterable<P> {
  let at = pull.start;
  for await (const page of pages) {
    at = maxCursor(at, page.cursor);
    yield { ...page, cursor: at && pull.walk !== null ? { stamp: at.stamp, id: at.id, walk: { phase: pull.walk, after: null } } : at };
  }
  if (pull.walk !== null && at) yield empty({ stamp: at.stamp, id: at.id });
}
