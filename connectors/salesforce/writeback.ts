/**
 * Write-back: score/flags through PATCH /composite/sobjects and one Task per warning through POST,
 * 200 records a request, allOrNone=false, so each record's result is reported and the good ones are
 * never rewritten.
 */
import type { AnnotationBatch, AnnotationOutcome, AnnotationResult } from '../types.js';
import { CrmError } from '../../src/domain/errors.js';
import type { SalesforceClient } from './client.js';
import { COLLECTION_LIMIT, fieldRecord, findWarningsSoql, tagOf, taskRecord, toOutcome, warningTag } from './annotate.js';
import { parseWith, type SoqlReader } from './reader.js';
import { SaveResults } from './schemas.js';
import { chunks } from '../shared/chunks.js';

export async function annotate(
  client: SalesforceClient, batch: AnnotationBatch, fieldNames: { score: string; flags: string }, signal?: AbortSignal,
): Promise<AnnotationResult> {
  const result: AnnotationResult = { fields: new Map(), warnings: new Map(), warningKind: 'task' };
  const path = client.dataPath('/composite/sobjects');
  for (const chunk of chunks(batch.fields, COLLECTION_LIMIT)) {
    const records = chunk.map((f) => fieldRecord(f, fieldNames.score, fieldNames.flags));
    // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_update.htm
    const outcomes = await saveChunk(client, 'PATCH', path, records, true, signal);
    chunk.forEach((f, i) => result.fields.set(f.dealId, outcomes[i] ?? toOutcome(undefined)));
  }
  for (const chunk of chunks(batch.warnings, COLLECTION_LIMIT)) {
    // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_create.htm
    const outcomes = await saveChunk(client, 'POST', path, chunk.map(taskRecord), false, signal);
    chunk.forEach((w, i) => result.warnings.set(w.key, outcomes[i] ?? toOutcome(undefined)));
  }
  return result;
}

async function saveChunk(
  client: SalesforceClient, method: 'POST' | 'PATCH', path: string, records: Record<string, unknown>[], idempotent: boolean, signal?: AbortSignal,
): Promise<AnnotationOutcome[]> {
  try {
    const answer = await client.send(method, path, { allOrNone: false, records }, { idempotent, signal });
    const results = parseWith(SaveResults, answer, 'collection result');
    return records.map((_, i) => toOutcome(results[i]));
  } catch (err) {
    // Quota, auth and configuration errors stop the whole write-back; anything else fails this chunk only.
    if (!(err instanceof CrmError) || ['CRM.AUTH', 'CRM.QUOTA_EXCEEDED', 'CRM.MISCONFIGURED'].includes(err.code)) throw err;
    return records.map(() => ({ ok: false as const, error: `${err.code}: ${err.message}`, retryable: err.retryable }));
  }
}

/** Our Tasks by the tag in their Subject, 50 tags a query (a few KB of SOQL, far below the URL limit). */
export async function findWarnings(reader: SoqlReader, keys: string[], signal?: AbortSignal): Promise<Map<string, string>> {
  const byTag = new Map(keys.map((k) => [warningTag(k), k]));
  const found = new Map<string, string>();
  for (const tags of chunks([...byTag.keys()], 50)) {
    for (const row of await reader.all(findWarningsSoql(tags), { all: false, signal })) {
      const { Id, Subject } = row as { Id: string; Subject?: string | null };
      const key = byTag.get(tagOf(Subject) ?? '');
      if (key !== undefined && !found.has(key)) found.set(key, Id);
    }
  }
  return found;
}
