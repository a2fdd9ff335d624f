/**
 * Write-back: score/flags through PATCH /composite/sobjects, and each deal's one warning record:
 * created through POST, updated in place (or completed) through PATCH by its id, 200 records a
 * request, allOrNone=false, so each record's result is reported and the good ones are never rewritten.
 *
 * A warning is a Task (the default) or, with `warningRecord: 'note'`, an Enhanced Note: a ContentNote
 * and a ContentDocumentLink sharing it with the opportunity, two records in two requests. A note whose
 * link failed (or whose worker died between the two) exists but is not on the deal: it is reported as
 * failed, and the next attempt finds it by the tag in its Title and only links it. So every note batch
 * looks its keys up first (one query per 100 keys, plus one for the links of the notes found), which a
 * Task batch does not need.
 */
import type { AnnotationBatch, AnnotationOutcome, AnnotationResult, WarningAnnotation } from '../types.js';
import { CrmError } from '../../src/domain/errors.js';
import type { SalesforceClient } from './client.js';
import {
  alreadyLinked,
  COLLECTION_LIMIT,
  fieldRecord,
  fieldWriteOutcome,
  findNotesSoql,
  findWarningsSoql,
  NOTE_IDS_PER_QUERY,
  NOTE_TAGS_PER_QUERY,
  noteLinkRecord,
  noteLinksSoql,
  noteRecord,
  sameId,
  tagOf,
  taskRecord,
  toOutcome,
  warningTag,
} from './annotate.js';
import { OPPORTUNITY_ID_PREFIX, WARNING_KEY_FIELD } from './mappers.js';
import { parseWith, type SoqlReader } from './reader.js';
import { SaveResults, type SaveResult } from './schemas.js';
import { chunks } from '../shared/chunks.js';

export type WarningRecord = 'note' | 'task';

export async function annotate(
  client: SalesforceClient,
  reader: SoqlReader,
  batch: AnnotationBatch,
  options: { score: string; flags: string; warningRecord: WarningRecord },
  signal?: AbortSignal,
): Promise<AnnotationResult> {
  const result: AnnotationResult = { fields: new Map(), warnings: new Map(), warningKind: options.warningRecord };
  const path = client.dataPath('/composite/sobjects');
  for (const chunk of chunks(batch.fields, COLLECTION_LIMIT)) {
    const records = chunk.map((f) => fieldRecord(f, options.score, options.flags));
    // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_update.htm
    const answer = await saveAll(client, 'PATCH', path, records, true, signal);
    chunk.forEach((f, i) => result.fields.set(f.dealId, answer.failure ?? fieldWriteOutcome(answer.results?.[i], options)));
  }
  const creates = batch.warnings.filter((w) => w.externalId === null);
  const updates = batch.warnings.filter((w) => w.externalId !== null);
  // Approval tasks are Tasks whatever the warnings are written as (a note cannot be assigned).
  const asNote = (w: WarningAnnotation) => options.warningRecord === 'note' && !w.approval;
  const toRecord = (w: WarningAnnotation) => (asNote(w) ? noteRecord(w) : taskRecord(w));
  for (const chunk of chunks(updates, COLLECTION_LIMIT)) {
    // By id: repeating an update changes nothing, so it is retried like any idempotent request.
    const outcomes = await saveChunk(client, 'PATCH', path, chunk.map(toRecord), true, signal);
    chunk.forEach((w, i) => result.warnings.set(w.key, outcomes[i] ?? toOutcome(undefined)));
  }
  for (const chunk of chunks(creates.filter(asNote), COLLECTION_LIMIT)) {
    for (const [key, outcome] of await writeNotes(client, reader, path, chunk, signal)) result.warnings.set(key, outcome);
  }
  for (const chunk of chunks(
    creates.filter((w) => !asNote(w)),
    COLLECTION_LIMIT,
  )) {
    // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_create.htm
    const outcomes = await saveChunk(client, 'POST', path, chunk.map(taskRecord), false, signal);
    chunk.forEach((w, i) => result.warnings.set(w.key, outcomes[i] ?? toOutcome(undefined)));
  }
  return result;
}

/**
 * One chunk (<= 200) of warnings as notes: look the keys up, create the notes that do not exist, then
 * link every note that is not yet on its deal. The outcome's externalId is the note's id.
 */
async function writeNotes(
  client: SalesforceClient,
  reader: SoqlReader,
  path: string,
  warnings: WarningAnnotation[],
  signal?: AbortSignal,
): Promise<Map<string, AnnotationOutcome>> {
  const outcomes = new Map<string, AnnotationOutcome>();
  let existing: Map<string, FoundNote>;
  try {
    existing = await lookupNotes(
      reader,
      warnings.map((w) => w.key),
      signal,
    );
  } catch (err) {
    // Without the lookup a create could write a second note: nothing is written for this chunk.
    const failed = chunkFailure(err);
    for (const w of warnings) outcomes.set(w.key, failed);
    return outcomes;
  }

  const toLink: { warning: WarningAnnotation; noteId: string }[] = [];
  const toCreate: WarningAnnotation[] = [];
  for (const w of warnings) {
    const found = existing.get(w.key);
    if (!found) toCreate.push(w);
    else if (found.linkedTo.some((id) => sameId(id, w.dealId))) outcomes.set(w.key, { ok: true, externalId: found.noteId });
    else toLink.push({ warning: w, noteId: found.noteId });
  }

  if (toCreate.length > 0) {
    const created = await saveResults(client, 'POST', path, toCreate.map(noteRecord), signal);
    toCreate.forEach((w, i) => {
      const r = created.results?.[i];
      if (r?.success && r.id) toLink.push({ warning: w, noteId: r.id });
      else outcomes.set(w.key, created.failure ?? toOutcome(r));
    });
  }

  if (toLink.length > 0) {
    const linked = await saveResults(
      client,
      'POST',
      path,
      toLink.map((l) => noteLinkRecord(l.noteId, l.warning.dealId)),
      signal,
    );
    toLink.forEach(({ warning, noteId }, i) => {
      const r = linked.results?.[i];
      if (r?.success || alreadyLinked(r)) {
        outcomes.set(warning.key, { ok: true, externalId: noteId });
        return;
      }
      const why = linked.failure ?? toOutcome(r);
      outcomes.set(warning.key, {
        ok: false,
        error:
          `ContentNote ${noteId} exists but linking it to ${warning.dealId} failed ` +
          `(the next attempt links it, without a second note): ${why.ok ? 'failed' : why.error}`,
        retryable: why.ok ? true : why.retryable,
      });
    });
  }
  // In request order, one outcome per warning.
  return new Map(warnings.map((w) => [w.key, outcomes.get(w.key) ?? toOutcome(undefined)]));
}

interface FoundNote {
  noteId: string;
  /** LinkedEntityIds of the note's links other than its owner's (opportunities, normally one). */
  linkedTo: string[];
}

/**
 * Our notes for these keys, by the tag in their Title, with where each is shared. Should a key have more
 * than one note (one left unlinked by an earlier failure, say), the one on a deal wins.
 */
async function lookupNotes(reader: SoqlReader, keys: readonly string[], signal?: AbortSignal): Promise<Map<string, FoundNote>> {
  const byTag = new Map(keys.map((k) => [warningTag(k), k]));
  const candidates = new Map<string, FoundNote[]>();
  const byNote = new Map<string, FoundNote>();
  for (const tags of chunks([...byTag.keys()], NOTE_TAGS_PER_QUERY)) {
    for (const row of await reader.all(findNotesSoql(tags), { all: false, signal })) {
      const { Id, Title } = row as { Id: string; Title?: string | null };
      const key = byTag.get(tagOf(Title) ?? '');
      if (key === undefined || byNote.has(Id.slice(0, 15))) continue;
      const note: FoundNote = { noteId: Id, linkedTo: [] };
      byNote.set(Id.slice(0, 15), note);
      candidates.set(key, [...(candidates.get(key) ?? []), note]);
    }
  }
  for (const ids of chunks(
    [...byNote.values()].map((n) => n.noteId),
    NOTE_IDS_PER_QUERY,
  )) {
    for (const row of await reader.all(noteLinksSoql(ids), { all: false, signal })) {
      const { ContentDocumentId, LinkedEntityId } = row as { ContentDocumentId: string; LinkedEntityId: string };
      if (LinkedEntityId.startsWith(OPPORTUNITY_ID_PREFIX)) byNote.get(ContentDocumentId.slice(0, 15))?.linkedTo.push(LinkedEntityId);
    }
  }
  const found = new Map<string, FoundNote>();
  for (const [key, notes] of candidates) found.set(key, notes.find((n) => n.linkedTo.length > 0) ?? notes[0]!);
  return found;
}

async function saveChunk(
  client: SalesforceClient,
  method: 'POST' | 'PATCH',
  path: string,
  records: Record<string, unknown>[],
  idempotent: boolean,
  signal?: AbortSignal,
): Promise<AnnotationOutcome[]> {
  const answer = await saveAll(client, method, path, records, idempotent, signal);
  return records.map((_, i) => answer.failure ?? toOutcome(answer.results?.[i]));
}

/** Creates (never retried after a 5xx: it may have been applied). */
function saveResults(client: SalesforceClient, method: 'POST', path: string, records: Record<string, unknown>[], signal?: AbortSignal) {
  return saveAll(client, method, path, records, false, signal);
}

/** Per-record results in request order, or one failure for the whole request. */
async function saveAll(
  client: SalesforceClient,
  method: 'POST' | 'PATCH',
  path: string,
  records: Record<string, unknown>[],
  idempotent: boolean,
  signal?: AbortSignal,
): Promise<{ results: SaveResult[] | null; failure: (AnnotationOutcome & { ok: false }) | null }> {
  try {
    const answer = await client.send(method, path, { allOrNone: false, records }, { idempotent, signal });
    return { results: parseWith(SaveResults, answer, 'collection result'), failure: null };
  } catch (err) {
    return { results: null, failure: chunkFailure(err) };
  }
}

/** Quota, auth and configuration errors stop the whole write-back; anything else fails this chunk only. */
function chunkFailure(err: unknown): AnnotationOutcome & { ok: false } {
  if (!(err instanceof CrmError) || ['CRM.AUTH', 'CRM.QUOTA_EXCEEDED', 'CRM.MISCONFIGURED'].includes(err.code)) throw err;
  return { ok: false, error: `${err.code}: ${err.message}`, retryable: err.retryable };
}

/**
 * Warnings already written, by key -> record id. Tasks: by Dealwatch_Key__c, 50 keys a query (a few KB
 * of SOQL, far below the URL limit). Notes: by the tag in Title, and only notes already linked to an
 * opportunity count (a note whose link is missing is left to annotate, which links it).
 */
export async function findWarnings(
  reader: SoqlReader,
  keys: string[],
  warningRecord: WarningRecord,
  signal?: AbortSignal,
  taskKeys: readonly string[] = [],
): Promise<Map<string, string>> {
  if (warningRecord === 'note') {
    // Approval tasks are Tasks even where warnings are notes.
    const tasks = new Set(taskKeys);
    const found =
      tasks.size > 0
        ? await findTasks(
            reader,
            keys.filter((k) => tasks.has(k)),
            signal,
          )
        : new Map<string, string>();
    for (const [key, note] of await lookupNotes(
      reader,
      keys.filter((k) => !tasks.has(k)),
      signal,
    ))
      if (note.linkedTo.length > 0) found.set(key, note.noteId);
    return found;
  }
  return findTasks(reader, keys, signal);
}

async function findTasks(reader: SoqlReader, keys: string[], signal?: AbortSignal): Promise<Map<string, string>> {
  const wanted = new Set(keys);
  const found = new Map<string, string>();
  for (const group of chunks(keys, 50)) {
    for (const row of await reader.all(findWarningsSoql(group), { all: false, signal })) {
      const { Id, [WARNING_KEY_FIELD]: key } = row as Record<string, string | null | undefined> & { Id: string };
      if (typeof key === 'string' && wanted.has(key) && !found.has(key)) found.set(key, Id);
    }
  }
  return found;
}
