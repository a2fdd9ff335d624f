/**
 * Stage and field history pulls. OpportunityHistory rows are snapshots (stage, amount, close date)
 * written on each change; OpportunityFieldHistory holds CloseDate/Amount edits when field history
 * tracking is on. Both are append-only logs read by CreatedDate, Id (OpportunityFieldHistory has no
 * SystemModstamp; CreatedDate is filterable and sortable on both).
 */
import { chunks } from '../shared/chunks.js';
import type { HistoryPage } from '../types.js';
import { toFieldChanges, toStageChanges } from './mappers.js';
import { SoqlReader, cursorOf, mergeOrdered, parseWith, type OrderedSource } from './reader.js';
import { RawOpportunityFieldHistory, RawOpportunityHistory } from './schemas.js';
import * as soql from './soql.js';

type HistoryRow = { kind: 'stage'; raw: RawOpportunityHistory } | { kind: 'field'; raw: RawOpportunityFieldHistory };

/**
 * Stage moves and field changes, two queries from the same lower bound merged by (CreatedDate, Id), so
 * each page's cursor (its last row) is safe for both. A move needs the stage before it: pulls from a
 * lower bound look up the latest earlier row of each deal not seen yet, 200 ids a query.
 */
export async function* pullHistory(
  reader: SoqlReader,
  connectionId: string,
  from: string | null,
  signal?: AbortSignal,
): AsyncIterable<HistoryPage> {
  const previous = new Map<string, string>();
  const resolved = new Set<string>();
  const stampOf = (row: unknown): string | null => {
    // Stryker disable next-line OptionalChaining: the reader reads the stamp of a row of a non-empty page, never null
    const value = (row as { CreatedDate?: unknown } | null)?.CreatedDate;
    // Stryker disable next-line ConditionalExpression: a row without a string CreatedDate fails parsing first
    return typeof value === 'string' ? value : null;
  };
  const stages = reader.orderedPages(
    (at) => soql.changedSince('OpportunityHistory', soql.OPPORTUNITY_HISTORY_FIELDS, 'CreatedDate', at),
    from,
    stampOf,
    { all: false, signal },
  );
  const fields = reader.orderedPages(
    (at) => soql.changedSince('OpportunityFieldHistory', soql.FIELD_HISTORY_FIELDS, 'CreatedDate', at, soql.FIELD_HISTORY_FILTER),
    from,
    stampOf,
    { all: false, signal },
  );
  const sources: OrderedSource<HistoryRow>[] = [
    {
      pages: stages,
      parse: (r) => ({ kind: 'stage', raw: parseWith(RawOpportunityHistory, r, 'OpportunityHistory') }),
      position: (row) => cursorOf(row.raw.CreatedDate, row.raw.Id),
    },
    {
      pages: fields,
      parse: (r) => ({ kind: 'field', raw: parseWith(RawOpportunityFieldHistory, r, 'OpportunityFieldHistory') }),
      position: (row) => cursorOf(row.raw.CreatedDate, row.raw.Id),
    },
  ];
  for await (const page of mergeOrdered(sources)) {
    const stageRows = page.rows.flatMap((row) => (row.kind === 'stage' ? [row.raw] : []));
    // Stryker disable next-line ConditionalExpression,ArrayDeclaration: toFieldChanges skips rows without a Field
    const fieldRows = page.rows.flatMap((row) => (row.kind === 'field' ? [row.raw] : []));
    if (from) await loadPreviousStages(reader, stageRows, from, previous, resolved, signal);
    for (const raw of stageRows) resolved.add(raw.OpportunityId);
    yield {
      stageChanges: toStageChanges(stageRows, previous, connectionId),
      fieldChanges: toFieldChanges(fieldRows, connectionId),
      cursor: page.cursor,
    };
  }
}

async function loadPreviousStages(
  reader: SoqlReader,
  rows: RawOpportunityHistory[],
  from: string,
  previous: Map<string, string>,
  resolved: Set<string>,
  signal?: AbortSignal,
): Promise<void> {
  const ids = [...new Set(rows.map((r) => r.OpportunityId))].filter((id) => !resolved.has(id));
  for (const batch of chunks(ids, 200)) {
    const query =
      'SELECT Id, OpportunityId, StageName, CreatedDate FROM OpportunityHistory ' +
      `WHERE OpportunityId IN (${batch.map(soql.quote).join(', ')})` +
      ` AND CreatedDate < ${soql.soqlDateTime(from)} ORDER BY CreatedDate, Id`;
    for (const row of await reader.all(query, { all: false, signal })) {
      const raw = parseWith(RawOpportunityHistory, row, 'OpportunityHistory');
      if (raw.StageName) previous.set(raw.OpportunityId, raw.StageName);
    }
    for (const id of batch) resolved.add(id);
  }
}
