/**
 * Write-back payloads for sObject Collections and the per-record outcomes of their answers.
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections.htm
 */
import { sha256Hex } from '../shared/digest.js';
import type { AnnotationOutcome, FieldAnnotation, WarningAnnotation } from '../types.js';
import { KEY_MARKER, WARNING_KEY_FIELD, WARNING_SUBJECT_PREFIX } from './mappers.js';
import type { SaveResult } from './schemas.js';
import { likeFragment, quote } from './soql.js';

/** sObject Collections take at most 200 records a request. */
export const COLLECTION_LIMIT = 200;
const SUBJECT_MAX = 255;
const DESCRIPTION_MAX = 32_000;

/** Errors of one record that a later attempt may clear. */
const RETRYABLE_STATUS = new Set(['UNABLE_TO_LOCK_ROW', 'REQUEST_RUNNING_TOO_LONG', 'SERVER_UNAVAILABLE', 'UNKNOWN_EXCEPTION']);

/**
 * Short tag of a record key, in a ContentNote's Title: ContentNote has no custom fields and its
 * Content cannot be filtered, so the Title is the one place a note's key can be looked up (a Task
 * keeps its key in the Dealwatch_Key__c custom field instead, which reps do not read).
 */
export const warningTag = (key: string): string => sha256Hex(key, 16);
const marker = (key: string): string => `${KEY_MARKER}${warningTag(key)}]`;

function titleOf(warning: WarningAnnotation): string {
  return warning.title.startsWith(WARNING_SUBJECT_PREFIX) ? warning.title : `${WARNING_SUBJECT_PREFIX} ${warning.title}`;
}

/** A Task's Subject: the title only. */
export function warningSubject(warning: WarningAnnotation): string {
  return titleOf(warning).slice(0, SUBJECT_MAX);
}

/** A note's Title: the title and the key's short tag (see warningTag). */
export function noteTitle(warning: WarningAnnotation): string {
  const suffix = ` ${marker(warning.key)}`;
  return `${titleOf(warning).slice(0, SUBJECT_MAX - suffix.length)}${suffix}`;
}

export function warningDescription(warning: WarningAnnotation): string {
  return warning.body.slice(0, DESCRIPTION_MAX);
}

/**
 * The deal's warning Task, assigned to the deal owner (an approval task: to the approver, OwnerId
 * "Assigned To ID"), its key in Dealwatch_Key__c; an update rewrites Subject, Description and
 * Priority in place, and a close completes it.
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_task.htm
 */
export function taskRecord(warning: WarningAnnotation): Record<string, unknown> {
  const text = {
    Subject: warningSubject(warning),
    Description: warningDescription(warning),
    Priority: warning.severity === 'critical' ? 'High' : 'Normal',
    ...(warning.open ? {} : { Status: 'Completed' }),
  };
  // An approval task follows its approver (a changed mapping reassigns it while it is open).
  const reassign = warning.approval && warning.open && warning.ownerId ? { OwnerId: warning.ownerId } : {};
  if (warning.externalId !== null) return { attributes: { type: 'Task' }, id: warning.externalId, ...reassign, ...text };
  return {
    attributes: { type: 'Task' },
    WhatId: warning.dealId,
    ...(warning.ownerId ? { OwnerId: warning.ownerId } : {}),
    [WARNING_KEY_FIELD]: warning.key,
    ...(warning.dueDate ? { ActivityDate: warning.dueDate.slice(0, 10) } : {}),
    Status: 'Not Started',
    ...text,
  };
}

export function fieldRecord(field: FieldAnnotation, scoreField: string, flagsField: string): Record<string, unknown> {
  return { attributes: { type: 'Opportunity' }, id: field.dealId, [scoreField]: field.score, [flagsField]: field.flags.join(';') };
}

/**
 * A score/flags write that Salesforce refused because the field is missing (INVALID_FIELD) or not
 * editable by the integration user (INVALID_FIELD_FOR_INSERT_UPDATE: field-level security without
 * Edit): the error names the field and the fix, since no retry can clear it. Others as toOutcome.
 * https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_concepts_core_data_objects.htm
 */
export function fieldWriteOutcome(result: SaveResult | undefined, fields: { score: string; flags: string }): AnnotationOutcome {
  const refused = result?.errors.find((e) => e.statusCode === 'INVALID_FIELD' || e.statusCode === 'INVALID_FIELD_FOR_INSERT_UPDATE');
  if (!refused) return toOutcome(result);
  const ours = [fields.score, fields.flags];
  const named =
    refused.fields?.find((f) => ours.some((o) => o.toLowerCase() === f.toLowerCase())) ??
    ours.find((o) => (refused.message ?? '').toLowerCase().includes(o.toLowerCase())) ??
    refused.fields?.[0] ??
    `${fields.score}/${fields.flags}`;
  const role = named.toLowerCase() === fields.flags.toLowerCase() ? 'flags' : 'score';
  const error =
    refused.statusCode === 'INVALID_FIELD'
      ? `Opportunity.${named} does not exist: create it (Setup > Object Manager > Opportunity > Fields & Relationships; ` +
        'dealwatch doctor --fix lists what is missing), with Edit access for the integration user, ' +
        `or set fieldMap.${role} to an existing field`
      : `Opportunity.${named} is not writable by the integration user: ` +
        "grant Edit field-level security on it to the user's profile or permission set (dealwatch doctor checks it)";
  return { ok: false, error, retryable: false };
}

/** Results come back in request order, one per record (allOrNone=false). */
export function toOutcome(result: SaveResult | undefined): AnnotationOutcome {
  if (!result) return { ok: false, error: 'no result returned for this record', retryable: true };
  if (result.success) return { ok: true, externalId: result.id ?? null };
  const error = result.errors.map((e) => `${e.statusCode ?? 'ERROR'}: ${e.message ?? ''}`.trim()).join('; ') || 'failed';
  return { ok: false, error, retryable: result.errors.length > 0 && result.errors.every((e) => RETRYABLE_STATUS.has(e.statusCode ?? '')) };
}

/** SOQL finding our Tasks by key (Dealwatch_Key__c, a filterable text field). */
export function findWarningsSoql(keys: readonly string[]): string {
  return `SELECT Id, ${WARNING_KEY_FIELD} FROM Task WHERE ${WARNING_KEY_FIELD} IN (${keys.map(quote).join(', ')})`;
}

/** Tag in a Subject we wrote, if any. */
export function tagOf(subject: string | null | undefined): string | null {
  return /\[dw:([0-9a-f]{16})\]/.exec(subject ?? '')?.[1] ?? null;
}

// --- Enhanced Notes (warningRecord: 'note') -------------------------------------------------------
// https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_contentnote.htm
// https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_contentdocumentlink.htm

/** Tags per ContentNote lookup: ~60 URL-encoded characters each keeps the GET well below 16 KB. */
export const NOTE_TAGS_PER_QUERY = 100;
/** Note ids per ContentDocumentLink lookup (`ContentDocumentId IN (...)`, 21 characters each). */
export const NOTE_IDS_PER_QUERY = 150;

const escapeHtml = (s: string): string =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');

/**
 * The note body as Enhanced Notes HTML: one `<p>` per line. Content is HTML or plain text whose special
 * characters must be escaped (unescaped `&`/`<` are refused: "Note can't be saved because it contains HTML
 * tags or unescaped characters"), and new lines in plain text are stripped, hence the paragraphs.
 */
export function noteHtml(warning: WarningAnnotation): string {
  return `${warningDescription(warning)}`
    .split('\n')
    .map((line) => (line.trim() === '' ? '<p><br></p>' : `<p>${escapeHtml(line)}</p>`))
    .join('');
}

/**
 * ContentNote for one warning: Title (required, 255, filterable) carries the `[dw:<tag>]` marker that
 * lookups filter on, as Subject does for Tasks; Content (base64 in the API, not filterable) the text and
 * the full key. The note is owned by the integration user and reaches the deal through its link.
 */
export function noteRecord(warning: WarningAnnotation): Record<string, unknown> {
  return {
    attributes: { type: 'ContentNote' },
    ...(warning.externalId !== null ? { id: warning.externalId } : {}),
    Title: noteTitle(warning),
    Content: Buffer.from(noteHtml(warning), 'utf8').toString('base64'),
  };
}

/**
 * Shares a note with the opportunity: ShareType 'V' (reps who can see the deal can read the note but not
 * edit it, so its key stays as written), Visibility 'AllUsers'.
 */
export function noteLinkRecord(noteId: string, dealId: string): Record<string, unknown> {
  return {
    attributes: { type: 'ContentDocumentLink' },
    ContentDocumentId: noteId,
    LinkedEntityId: dealId,
    ShareType: 'V',
    Visibility: 'AllUsers',
  };
}

/** Our notes by the tag in their Title (Content is base64 and cannot be filtered). */
export function findNotesSoql(tags: readonly string[]): string {
  const anyTag = tags.map((t) => `Title LIKE '%${likeFragment(`${KEY_MARKER}${t}]`)}%'`).join(' OR ');
  return `SELECT Id, Title FROM ContentNote WHERE Title LIKE '${likeFragment(WARNING_SUBJECT_PREFIX)}%' AND (${anyTag})`;
}

/**
 * Where notes are shared. ContentDocumentLink must be filtered by ContentDocumentId or LinkedEntityId
 * (= or IN); each note also has a link to its owner (the integration user), which callers skip.
 */
export function noteLinksSoql(noteIds: readonly string[]): string {
  return `SELECT ContentDocumentId, LinkedEntityId FROM ContentDocumentLink WHERE ContentDocumentId IN (${noteIds.map(quote).join(', ')})`;
}

/** A link that already exists is what a retry wanted: DUPLICATE_VALUE on LinkedEntityId means linked. */
export function alreadyLinked(result: SaveResult | undefined): boolean {
  return Boolean(result && !result.success && result.errors.length > 0 && result.errors.every((e) => e.statusCode === 'DUPLICATE_VALUE'));
}

/** Salesforce ids compare case-sensitively on their first 15 characters (18-character ids add a checksum). */
export const sameId = (a: string, b: string): boolean => a.slice(0, 15) === b.slice(0, 15);
