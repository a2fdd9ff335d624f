/**
 * HubSpot write-back: score/flags on deals (batch update, 100 a request) and each deal's one
 * warning note or task: created (batch create, 100 a request, associated to the deal) with its key
 * in the `dealwatch_key` property, or updated in place by id (batch update; a task is completed
 * when nothing is open). The key property is created on notes/tasks at the first write if missing.
 * https://developers.hubspot.com/docs/api-reference/latest/crm/properties/guide
 */
import { CrmError } from '../../src/domain/errors.js';
import type { HubSpotConnection } from '../../src/domain/model/index.js';
import { chunks } from '../shared/chunks.js';
import { sha256Hex } from '../shared/digest.js';
import type { AnnotationBatch, AnnotationOutcome, AnnotationResult, WarningAnnotation } from '../types.js';
import { readLinks } from './associations.js';
import { ensureDealwatchProperties, ensureWarningKeyProperty, PROPERTY_GROUP } from './deal-properties.js';
import type { BatchCreateInput, HubSpotClient } from './client.js';
import { DEFAULT_FLAGS_PROPERTY, DEFAULT_SCORE_PROPERTY, WARNING_KEY_PROPERTY } from './mappers.js';
import { type BatchError, BatchResponse, type RawObject, SearchResponse } from './schemas.js';

/** HUBSPOT_DEFINED association type ids (https://developers.hubspot.com/docs/api/crm/associations/v4). */
export const ASSOCIATION_TYPE = { noteToDeal: 214, taskToDeal: 216 } as const;
/** Batch create/update/read take at most 100 inputs. */
export const BATCH_LIMIT = 100;

function escapeHtml(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

/** Token inside each annotation that HubSpot's search tokenizer keeps whole (letters and digits only). */
export function annotationToken(key: string): string {
  return `dwk${sha256Hex(key, 32)}`;
}

export class HubSpotWriteback {
  /** Whether the score/flags properties can be written: checked (and created) at the first field write. */
  private propertiesReady: Promise<string | null> | null = null;

  constructor(
    private readonly client: HubSpotClient,
    private readonly settings: HubSpotConnection,
    private readonly now: () => number,
    private readonly log?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void },
  ) {}

  /** Whether the key property exists on each record type written: checked (and created) at its first write. */
  private keyReady = new Map<'notes' | 'tasks', Promise<string | null>>();

  private keyProblem(type: 'notes' | 'tasks', signal?: AbortSignal): Promise<string | null> {
    const ready =
      this.keyReady.get(type) ??
      ensureWarningKeyProperty(this.client, type, signal).then(
        (outcome) => {
          if (outcome.created.length > 0)
            this.log?.info(
              { properties: outcome.created, objectType: type },
              'created the HubSpot property dealwatch keeps its record keys in',
            );
          if (outcome.problem) this.log?.warn({ problem: outcome.problem }, 'cannot write warning records');
          return outcome.problem;
        },
        (error: unknown) => {
          this.keyReady.delete(type);
          throw error;
        },
      );
    this.keyReady.set(type, ready);
    return ready;
  }

  /** Null when the properties exist (created here if need be); else why they cannot be written. */
  private fieldProblem(signal?: AbortSignal): Promise<string | null> {
    this.propertiesReady ??= ensureDealwatchProperties(this.client, this.settings, signal).then(
      (outcome) => {
        if (outcome.created.length > 0)
          this.log?.info(
            { properties: outcome.created, group: PROPERTY_GROUP.name },
            'created the HubSpot deal properties dealwatch writes',
          );
        if (outcome.problem) this.log?.warn({ problem: outcome.problem }, 'cannot write the score and flags');
        return outcome.problem;
      },
      (error: unknown) => {
        this.propertiesReady = null; // a failed check (network, 429) is tried again next time
        throw error;
      },
    );
    return this.propertiesReady;
  }

  private get scoreProperty(): string {
    return this.settings.fieldMap.score ?? DEFAULT_SCORE_PROPERTY;
  }

  private get flagsProperty(): string {
    return this.settings.fieldMap.flags ?? DEFAULT_FLAGS_PROPERTY;
  }

  async annotate(batch: AnnotationBatch, signal?: AbortSignal): Promise<AnnotationResult> {
    const warningKind = this.settings.warningRecord ?? 'note';
    const result: AnnotationResult = { fields: new Map(), warnings: new Map(), warningKind };

    const byDeal = new Map(batch.fields.map((f) => [f.dealId, f]));
    const problem = byDeal.size > 0 ? await this.fieldProblem(signal) : null;
    if (problem) {
      for (const id of byDeal.keys()) result.fields.set(id, { ok: false, error: problem, retryable: false });
      byDeal.clear();
    }
    for (const group of chunks([...byDeal.values()], BATCH_LIMIT)) {
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

    // Warnings as configured (notes by default); approval tasks always as tasks, assigned to the
    // approver (a note has an owner but cannot be assigned or completed).
    const kindOf = (w: WarningAnnotation): 'note' | 'task' => (w.approval ? 'task' : warningKind);
    for (const kind of ['note', 'task'] as const) {
      const warnings = batch.warnings.filter((w) => kindOf(w) === kind);
      if (warnings.length > 0) await this.writeWarnings(warnings, kind, result, signal);
    }
    return result;
  }

  private async writeWarnings(
    warnings: WarningAnnotation[],
    kind: 'note' | 'task',
    result: AnnotationResult,
    signal?: AbortSignal,
  ): Promise<void> {
    const objectType = kind === 'task' ? 'tasks' : 'notes';
    const keyProblem = await this.keyProblem(objectType, signal);
    if (keyProblem) {
      for (const w of warnings) result.warnings.set(w.key, { ok: false, error: keyProblem, retryable: false });
      return;
    }
    const updates = warnings.filter((w) => w.externalId !== null);
    for (const group of chunks(updates, BATCH_LIMIT)) {
      const keyById = new Map(group.map((w) => [w.externalId!, w.key]));
      const inputs = group.map((w) => ({
        id: w.externalId!,
        properties: { ...this.warningProperties(w, kind), ...(w.approval && w.open && w.ownerId ? { hubspot_owner_id: w.ownerId } : {}) },
      }));
      const outcomes = await this.runBatch(
        group.map((w) => w.externalId!),
        () => this.client.batchUpdate(objectType, inputs, signal),
        (record) => record.id,
      );
      for (const [id, outcome] of outcomes) result.warnings.set(keyById.get(id)!, outcome);
    }
    const creates = warnings.filter((w) => w.externalId === null);
    for (const group of chunks(creates, BATCH_LIMIT)) {
      const inputs = group.map((w) => this.warningInput(w, kind));
      const outcomes = await this.runBatch(
        group.map((w) => w.key),
        () => this.client.batchCreate(objectType, inputs, signal),
        (record) =>
          record.properties?.[WARNING_KEY_PROPERTY] ??
          group.find((w) => record.objectWriteTraceId && annotationToken(w.key) === record.objectWriteTraceId)?.key ??
          null,
      );
      for (const [key, outcome] of outcomes) result.warnings.set(key, outcome);
    }
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
        if (!outcomes.has(key))
          outcomes.set(key, {
            ok: false,
            error: `${error.category ?? 'ERROR'}: ${error.message ?? 'failed'}`,
            retryable: isRetryableCategory(error),
          });
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

  /** The record's text (and, for a task, its priority and status) as HubSpot properties. */
  private warningProperties(w: WarningAnnotation, kind: 'note' | 'task'): Record<string, string> {
    const html = `<p><strong>${escapeHtml(w.title)}</strong></p><p>${escapeHtml(w.body).replaceAll('\n', '<br>')}</p>`;
    if (kind === 'note') return { hs_note_body: html };
    return {
      hs_task_subject: w.title,
      hs_task_body: html,
      hs_task_priority: w.severity === 'critical' ? 'HIGH' : w.severity === 'warning' ? 'MEDIUM' : 'LOW',
      ...(w.open ? {} : { hs_task_status: 'COMPLETED' }),
    };
  }

  private warningInput(w: WarningAnnotation, kind: 'note' | 'task'): BatchCreateInput {
    const owner = w.ownerId ? { hubspot_owner_id: w.ownerId } : {};
    const key = { [WARNING_KEY_PROPERTY]: w.key };
    if (kind === 'task') {
      const due = w.dueDate ? new Date(`${w.dueDate.slice(0, 10)}T00:00:00.000Z`) : new Date(this.now());
      return {
        properties: {
          hs_timestamp: due.toISOString(),
          hs_task_status: 'NOT_STARTED',
          hs_task_type: 'TODO',
          ...this.warningProperties(w, kind),
          ...owner,
          ...key,
        },
        associations: [
          { to: { id: w.dealId }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: ASSOCIATION_TYPE.taskToDeal }] },
        ],
        objectWriteTraceId: annotationToken(w.key),
      };
    }
    return {
      properties: { hs_timestamp: new Date(this.now()).toISOString(), ...this.warningProperties(w, kind), ...owner, ...key },
      associations: [
        { to: { id: w.dealId }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: ASSOCIATION_TYPE.noteToDeal }] },
      ],
      objectWriteTraceId: annotationToken(w.key),
    };
  }

  /**
   * Finds notes/tasks already written for these keys. With `scope.dealIds` (what the write-back
   * ledger knows) it reads the deals' notes/tasks through v4 associations and batch read, which is
   * strongly consistent. Without it, it searches the key property (IN, 100 keys a request), which
   * the real API supports but whose index lags writes by a few seconds.
   */
  async findWarnings(
    keys: string[],
    signal?: AbortSignal,
    scope?: { dealIds?: string[]; taskKeys?: string[] },
  ): Promise<Map<string, string>> {
    const kind = this.settings.warningRecord ?? 'note';
    const tasks = new Set(scope?.taskKeys ?? []);
    if (kind === 'note' && tasks.size > 0) {
      // Approval tasks are tasks even where warnings are notes: each set looked up where it lives.
      const found = await this.findIn(
        'tasks',
        keys.filter((k) => tasks.has(k)),
        signal,
        scope?.dealIds,
      );
      for (const [k, id] of await this.findIn(
        'notes',
        keys.filter((k) => !tasks.has(k)),
        signal,
        scope?.dealIds,
      ))
        found.set(k, id);
      return found;
    }
    return this.findIn(kind === 'task' ? 'tasks' : 'notes', keys, signal, scope?.dealIds);
  }

  private async findIn(type: 'notes' | 'tasks', keys: string[], signal?: AbortSignal, dealIds?: string[]): Promise<Map<string, string>> {
    const wanted = new Set(keys);
    const found = new Map<string, string>();
    if (wanted.size === 0) return found;
    const scope = { dealIds };
    const collect = (records: RawObject[]) => {
      for (const r of records) {
        const key = r.properties?.[WARNING_KEY_PROPERTY] ?? null;
        if (key !== null && wanted.has(key) && !found.has(key)) found.set(key, r.id);
      }
    };

    if (scope?.dealIds && scope.dealIds.length > 0) {
      const links = await readLinks(this.client, 'deals', type, [...new Set(scope.dealIds)], signal);
      const ids = [...new Set([...links.values()].flat())];
      for (const group of chunks(ids, BATCH_LIMIT)) {
        const response = await this.client.batchRead(type, group, [WARNING_KEY_PROPERTY], signal);
        collect(BatchResponse.parse(response.body).results ?? []);
      }
      return found;
    }

    for (const group of chunks([...wanted], BATCH_LIMIT)) {
      let after: string | undefined;
      do {
        const response = await this.client.search(
          type,
          {
            filterGroups: [{ filters: [{ propertyName: WARNING_KEY_PROPERTY, operator: 'IN', values: group }] }],
            sorts: [{ propertyName: 'hs_object_id', direction: 'ASCENDING' }],
            properties: [WARNING_KEY_PROPERTY],
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
