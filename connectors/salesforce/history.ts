/**
 * Stage and field history pulls. OpportunityHistory rows are snapshots (stage, amount, close date)
 * written on each change; OpportunityFieldHistory holds CloseDate/Amount edits when field history
 * tracking is on. Both are append-only logs read by CreatedDate, Id.
 */
import { chunks } from '../shared/chunks.js';
import type { HistoryPage } from '../types.js';
import type { SyncCursor } from '../../src/domain/model/index.js';
import { toFieldChanges, toStageChanges } from './mappers.js';
import { SoqlReader, cursorOf, maxCursor, minCursor, parseWith } from './reader.js';
import { RawOpportunityFieldHistory, RawOpportunityHistory } from './schemas.js';
import * as soql from './soql.js';

/**
 * Stage moves first (pages without a cursor: their position says nothing about field history), then
 * field changes, whose pages carry the earlier of both positions. A move needs the stage before it:
 * incremental pulls look up the latest earlier row of each deal not seen yet, 200 ids a query.
 */
export async function* pullHistory(reader: SoqlReader, connectionId: string, from: string | null, signal?: AbortSignal): AsyncIterable<HistoryPage> {
  const previous = new Map<string, string>();
  const resolved = new Set<string>();
  let stageCursor: SyncCursor | null = null;
  const stageQuery = soql.changedSince('OpportunityHistory', soql.OPPORTUNITY_HISTORY_FIELDS, 'CreatedDate', from);
  for await (const rows of reader.pages(stageQuery, { all: false, signal })) {
    const raws = rows.map((r) => parseWith(RawOpportunityHistory, r, 'OpportunityHistory'));
    if (from) await loadPreviousStages(reader, raws, from, previous, resolved, signal);
    for (const raw of raws) resolved.add(raw.OpportunityId);
    const last = raws.at(-1);
    stageCursor = maxCursor(stageCursor, last ? cursorOf(last.CreatedDate, last.Id) : null);
    yield { stageChanges: toStageChanges(raws, previous, connectionId), fieldChanges: [], cursor: null };
  }
  let fieldCursor: SyncCursor | null = null;
  let yielded: SyncCursor | null = null;
  const fieldQuery = soql.changedSince('OpportunityFieldHistory', soql.FIELD_HISTORY_FIELDS, 'CreatedDate', from, soql.FIELD_HISTORY_FILTER);
  for await (const rows of reader.pages(fieldQuery, { all: false, signal })) {
    const raws = rows.map((r) => parseWith(RawOpportunityFieldHistory, r, 'OpportunityFieldHistory'));
    const last = raws.at(-1);
    fieldCursor = maxCursor(fieldCursor, last ? cursorOf(last.CreatedDate, last.Id) : null);
    yielded = minCursor(stageCursor, fieldCursor);
    yield { stageChanges: [], fieldChanges: toFieldChanges(raws, connectionId), cursor: yielded };
  }
  const final = fieldCursor === null ? stageCursor : minCursor(stageCursor, fieldCursor);
  if (final !== null && final !== yielded) yield { stageChanges: [], fieldChanges: [], cursor: final };
}

async function loadPreviousStages(
  reader: SoqlReader, rows: RawOpportunityHistory[], from: string, previous: Map<string, string>, resolved: Set<string>, signal?: AbortSignal,
): Promise<void> {
  const ids = [...new Set(rows.map((r) => r.OpportunityId))].filter((id) => !resolved.has(id));
  for (const batch of chunks(ids, 200)) {
    const query =
      `SELECT Id, OpportunityId, StageName, CreatedDate FROM OpportunityHistory WHERE OpportunityId IN (${batch.map(soql.quote).join(', ')})` +
      ` AND CreatedDate < ${soql.soqlDateTime(from)} ORDER BY CreatedDate, Id`;
    for (const row of await reader.all(query, { all: false, signal })) {
      const raw = parseWith(RawOpportunityHistory, row, 'OpportunityHistory');
      if (raw.StageName) previous.set(raw.OpportunityId, raw.StageName);
    }
    for (const id of batch) resolved.add(id);
  }
}
