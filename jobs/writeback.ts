/**
 * Write-back: a connection's due warning records and fields into its CRM, in provider-sized
 * batches, exactly once.
 *
 * One warning record per deal (a task or note listing every open finding, see annotation-text.ts).
 * The ledger's `warning_records` row of a deal becomes due when a scoring pass opens or resolves
 * one of its findings; a run writes those deals only. A record without a CRM id is created (its
 * key in a field reps do not read), one with an id is updated in place, and one whose findings
 * all resolved is closed. A closed record is never reopened: later findings start a new record.
 *
 * Exactly once: a create is recorded (`pending`, `create_sent`) before the CRM call and its id
 * after it. A record whose create was sent but whose id is unknown (a worker died between the
 * call and its record, or the request failed as a whole: a reset, a 5xx or a timeout once the CRM
 * had committed, the "lost response") is looked up by key first (`findWarnings`) and updated
 * instead of created when the CRM has it. The connectors do not retry such a create themselves
 * (only refusals such as 429), so this lookup is the one place that decides. Updates carry the
 * record's id and are idempotent. Its cost: one batched lookup per run that has such records (a
 * Salesforce query per 50 keys; on HubSpot a v4 association read per 1,000 deals plus a batch
 * read per 100 of their notes/tasks), paid again on each retry of records the CRM keeps refusing
 * (at most MAX_WRITE_ATTEMPTS). One write-back per connection runs at a time (a lease shared by
 * every worker process), so two workers never race on the same record.
 *
 * Fields (score and flags) are plain sets, written where they differ from what the CRM last
 * received (recorded per deal after each write), so unchanged scores are not rewritten and fields
 * computed in dry-run are still due, once, when the connection is switched on.
 */
import { CrmError } from '../src/domain/errors.js';
import type { ConnectionSettings } from '../src/domain/model/index.js';
import type { JobContext, JobPayload, JobResults } from '../src/queue/index.js';
import type { DealFields, LedgerEntry, WarningRecordEntry, WarningRecordUpdate } from '../src/store/types.js';
import type { AnnotationResult, FieldAnnotation, WarningAnnotation } from '../connectors/types.js';
import { writebackBatchSizeOf } from '../connectors/registry.js';
import { approvalFor, warningFor } from './annotation-text.js';
import { discountApprovers } from './approvals.js';
import { chunked, settingsOf, type PipelineDeps } from './deps.js';
import { effectiveTimeZone, isoDateIn } from '../src/domain/time.js';
import { annotateCounted, metricsOf } from './metrics.js';

const MAX_WRITE_ATTEMPTS = 5;
/** Rows read from the ledger per pass. */
const LEDGER_PAGE = 2_000;

export interface WritebackOutcome {
  mode: 'on' | 'dry-run' | 'off';
  fields: number;
  notes: number;
  tasks: number;
  /** Writes computed but not sent (dry-run). */
  planned: number;
  /** Writes the CRM refused or that did not reach it (this attempt). */
  failed: number;
  /** Distinct reasons of those failures (a few), each saying what to do where we know. */
  errors: string[];
}

/**
 * Writes (or, in dry-run, plans) what is due for a connection: every unwritten warning, and the
 * fields that differ from the CRM's, among `dealIds` when given (the webhook path's one deal)
 * or of every deal.
 */
export async function writeBack(
  deps: PipelineDeps,
  settings: ConnectionSettings,
  dealIds: readonly string[] | undefined,
  signal?: AbortSignal,
): Promise<WritebackOutcome> {
  const mode = settings.writeback;
  const outcome: WritebackOutcome = { mode, fields: 0, notes: 0, tasks: 0, planned: 0, failed: 0, errors: [] };
  if (mode === 'off') return outcome;
  // Stryker disable next-line all: log fields only; what the job decides is returned and asserted
  const log = deps.logger.child({ module: 'writeback', connection: settings.id });
  if (mode === 'dry-run') {
    // The ledger rows stay `planned`: that is the plan, shown by the API and `sync --json`.
    const fields = await deps.store.scores.fieldsDue(settings.id, { dealIds, limit: LEDGER_PAGE });
    const records = (await deps.store.findings.recordsDue(settings.id, { statuses: ['planned'], limit: LEDGER_PAGE })).filter(
      (r) => dealIds === undefined || dealIds.includes(r.dealId),
    );
    outcome.planned = fields.length + records.length;
    // Stryker disable next-line all: log fields only; what the job decides is returned and asserted
    log.info(
      { fields: fields.length, warnings: records.length, sample: records.slice(0, 3).map((r) => ({ deal: r.dealId, state: r.state })) },
      'dry-run: planned writes',
    );
    return outcome;
  }
  return deps.queues.leases.withLease(
    `writeback:${settings.id}`,
    (lost) => writeDue(deps, settings, dealIds, outcome, signal ? AbortSignal.any([signal, lost]) : lost),
    signal,
  );
}

async function writeDue(
  deps: PipelineDeps,
  settings: ConnectionSettings,
  fieldDealIds: readonly string[] | undefined,
  outcome: WritebackOutcome,
  signal?: AbortSignal,
): Promise<WritebackOutcome> {
  const { store } = deps;
  const id = settings.id;
  const connector = deps.connectorFor(settings);
  const batchSize = writebackBatchSizeOf(settings);
  const today = isoDateIn(effectiveTimeZone(settings), deps.clock());
  let retryable: string | null = null;

  // A record the CRM keeps refusing stops being retried after a few tries (it stays `failed`, visible).
  const due = (await store.findings.recordsDue(id, { limit: LEDGER_PAGE })).filter(
    (r) => r.writeStatus !== 'failed' || r.writeAttempts < MAX_WRITE_ATTEMPTS,
  );
  // Creates sent before whose id is unknown: the CRM may have the record. One batched lookup,
  // scoped to their deals so that it reads the deals' records (consistent right after a write).
  const unknown = due.filter(needsLookup);
  if (unknown.length > 0) {
    const taskKeys = unknown.filter((r) => r.kind === 'approval').map((r) => r.recordKey);
    const found = await connector.findWarnings(
      unknown.map((r) => r.recordKey),
      signal,
      { dealIds: [...new Set(unknown.map((r) => r.dealId))], ...(taskKeys.length > 0 ? { taskKeys } : {}) },
    );
    const learned = unknown.filter((r) => found.has(r.recordKey));
    for (const r of learned) r.externalId = found.get(r.recordKey)!;
    await store.findings.setRecordStatus(
      id,
      learned.map((r) => ({ dealId: r.dealId, recordKey: r.recordKey, status: 'pending' as const, externalId: r.externalId })),
    );
  }

  // A record never created whose findings all resolved meanwhile has nothing to close.
  const nothingToClose = due.filter((r) => r.state === 'closed' && r.externalId === null);
  await store.findings.setRecordStatus(
    id,
    nothingToClose.map((r) => ({ dealId: r.dealId, recordKey: r.recordKey, status: 'written' as const, changedAt: r.changedAt })),
  );
  const toWrite = due.filter((r) => !(r.state === 'closed' && r.externalId === null));

  const deals = await dealsOf(deps, id, toWrite);
  const approverOf = discountApprovers(store, settings);
  // Names of the reps, for approval tasks (read only when a run writes one).
  const ownerNames = toWrite.some((r) => r.kind === 'approval')
    ? new Map((await store.owners.list(id)).map((o) => [o.externalId, o.name]))
    : new Map<string, string>();
  const timezone = effectiveTimeZone(settings);
  const fields = await store.scores.fieldsDue(id, { dealIds: fieldDealIds });
  const fieldsByDeal = new Map(fields.map((f) => [f.dealId, f]));
  for (const rows of chunked(toWrite, batchSize)) {
    signal?.throwIfAborted(); // the write-back lease was lost: another worker may be writing
    const findings = await store.findings.forDeals(
      id,
      rows.map((r) => r.dealId),
    );
    const byDeal = new Map<string, LedgerEntry[]>();
    for (const f of findings) byDeal.set(f.dealId, [...(byDeal.get(f.dealId) ?? []), f]);
    const warnings: WarningAnnotation[] = await Promise.all(
      rows.map(async (r) => {
        const deal = deals.get(r.dealId);
        const ownerId = deal?.ownerId ?? null;
        const dealFindings = byDeal.get(r.dealId) ?? [];
        const approver = await approverOf(ownerId, dealFindings);
        if (r.kind === 'approval') {
          // Assigned to the approver; with no open discount finding (it resolved) it is completed.
          const repName = ownerId === null ? null : (ownerNames.get(ownerId) ?? null);
          return approvalFor(r, dealFindings, { approverId: approver?.id ?? ownerId, repName, dealName: deal?.name ?? null, today });
        }
        return warningFor(r, dealFindings, { ownerId, today, timezone, approverName: approver?.name ?? null });
      }),
    );
    // Fields of the same deals travel with their warnings.
    const batchFields: FieldAnnotation[] = [];
    for (const w of warnings) {
      const f = fieldsByDeal.get(w.dealId);
      if (f) {
        batchFields.push(f);
        fieldsByDeal.delete(w.dealId);
      }
    }
    await store.findings.setRecordStatus(
      id,
      rows.map((r) => ({
        dealId: r.dealId,
        recordKey: r.recordKey,
        status: 'pending' as const,
        ...(r.externalId === null ? { createSent: true } : {}),
      })),
    );
    const result = await annotateCounted(metricsOf(deps), connector, settings, { fields: batchFields, warnings }, signal);
    retryable ??= await record(deps, id, result, rows, batchFields, outcome);
  }
  for (const batchFields of chunked([...fieldsByDeal.values()], batchSize)) {
    signal?.throwIfAborted();
    const result = await annotateCounted(metricsOf(deps), connector, settings, { fields: batchFields, warnings: [] }, signal);
    retryable ??= await record(deps, id, result, [], batchFields, outcome);
  }
  if (outcome.failed > 0) {
    // A refused write is a failed write: on the run (status partial, the reason), and in the logs.
    deps.logger
      .child({ module: 'writeback', connection: id })
      .warn({ failed: outcome.failed, errors: outcome.errors }, 'write-back: some writes failed');
    await store.syncRuns.recordWriteFailures(id, { failed: outcome.failed, error: outcome.errors.join('; ') });
  }
  if (retryable) {
    // Written rows are recorded; the job is retried for the rest (BullMQ backoff).
    throw new CrmError('CRM.TRANSIENT', `some annotations failed and will be retried: ${retryable}`, {
      provider: settings.provider,
      retryable: true,
    });
  }
  return outcome;
}

/** A record whose create was sent to the CRM, whose id we never learned: the CRM may have it whatever the answer was. */
export function needsLookup(row: Pick<WarningRecordEntry, 'externalId' | 'createSent'>): boolean {
  return row.externalId === null && row.createSent;
}

/** Records per-record outcomes; returns the first retryable error, if any. */
async function record(
  deps: PipelineDeps,
  id: string,
  result: AnnotationResult,
  sentRecords: readonly WarningRecordEntry[],
  sentFields: readonly DealFields[],
  outcome: WritebackOutcome,
): Promise<string | null> {
  let retryable: string | null = null;
  const updates: WarningRecordUpdate[] = [];
  const carried: { dealId: string; externalId: string | null }[] = [];
  for (const r of sentRecords) {
    const o = result.warnings.get(r.recordKey) ?? {
      ok: false as const,
      error: `the CRM answered nothing for the warning on deal ${r.dealId}`,
      retryable: true,
    };
    if (o.ok) {
      const externalId = o.externalId ?? r.externalId;
      updates.push({ dealId: r.dealId, recordKey: r.recordKey, status: 'written', changedAt: r.changedAt, externalId });
      if (r.state === 'open' && r.kind === 'warning') carried.push({ dealId: r.dealId, externalId });
      if (result.warningKind === 'task' || r.kind === 'approval') outcome.tasks += 1;
      else outcome.notes += 1;
    } else {
      updates.push({ dealId: r.dealId, recordKey: r.recordKey, status: 'failed', error: o.error });
      countFailure(outcome, o.error);
      if (o.retryable) retryable ??= o.error;
    }
  }
  await deps.store.findings.setRecordStatus(id, updates);
  await deps.store.findings.markCarried(id, carried);
  const writtenFields: DealFields[] = [];
  for (const f of sentFields) {
    const o = result.fields.get(f.dealId);
    if (o?.ok) {
      outcome.fields += 1;
      writtenFields.push(f);
    } else {
      const error = o?.error ?? `the CRM answered nothing for deal ${f.dealId}`;
      countFailure(outcome, error);
      if (o === undefined || o.retryable) retryable ??= error;
    }
  }
  await deps.store.scores.markFieldsWritten(id, writtenFields);
  return retryable;
}

const MAX_ERRORS_KEPT = 5;

function countFailure(outcome: WritebackOutcome, error: string): void {
  outcome.failed += 1;
  if (outcome.errors.length < MAX_ERRORS_KEPT && !outcome.errors.includes(error)) outcome.errors.push(error);
}

/** The open deals among the records' (their owner, and name for approval tasks). */
async function dealsOf(
  deps: PipelineDeps,
  id: string,
  rows: readonly WarningRecordEntry[],
): Promise<Map<string, { ownerId: string | null; name: string | null }>> {
  const dealIds = [...new Set(rows.map((r) => r.dealId))];
  const out = new Map<string, { ownerId: string | null; name: string | null }>();
  for (const ids of chunked(dealIds, 1000)) {
    for (const d of await deps.store.deals.loadOpen(id, ids)) out.set(d.externalId, { ownerId: d.ownerId, name: d.name ?? null });
  }
  return out;
}

export function createWritebackProcessor(deps: PipelineDeps) {
  return async function processWriteback(payload: JobPayload<'writeback'>, context: JobContext): Promise<JobResults['writeback']> {
    const settings = settingsOf(deps, payload.connectionId);
    const state = await deps.store.connectionState.get(settings.id);
    if (state.pausedReason) {
      return {
        connectionId: settings.id,
        mode: settings.writeback,
        fields: 0,
        notes: 0,
        tasks: 0,
        planned: 0,
        failed: 0,
        errors: [],
        followUps: [],
      };
    }
    // Writing: every due field, not only the deals this job names, so that what another run left
    // due (a dry-run before the switch to `on`, a failed batch) is not left waiting for a new score.
    // Planning: the deals this job names, so that a run's chunks do not each report the whole plan.
    const dealIds = settings.writeback === 'on' ? undefined : payload.dealIds;
    const outcome = await writeBack(deps, settings, dealIds, context.signal);
    // Stryker disable next-line all: log fields only; what the job decides is returned and asserted
    deps.logger.child({ module: 'writeback' }).info({ connection: settings.id, jobId: context.jobId, ...outcome }, 'write-back done');
    return { connectionId: settings.id, ...outcome, followUps: [] };
  };
}
