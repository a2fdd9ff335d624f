/** Table rows to Salesforce REST records (`attributes` + fields, relationship fields nested). */
import { formatValue, type CompiledQuery } from '../soql/execute.js';
import type { SfField, SfTable } from './schema.js';

export type SfRecord = { attributes: { type: string; url: string } } & Record<string, unknown>;

export function recordUrl(apiVersion: string, type: string, id: unknown): string {
  return `/services/data/v${apiVersion}/sobjects/${type}/${String(id)}`;
}

/** A base64 field's value in a record is the URL of its blob (`/sobjects/ContentNote/<id>/Content`). */
function renderValue(table: SfTable, field: SfField, row: number, apiVersion: string): unknown {
  const v = field.get(row);
  if (field.type === 'base64') return v === null ? null : `${recordUrl(apiVersion, table.name, table.field('Id')?.get(row))}/${field.name}`;
  return formatValue(field, v);
}

/** Renders every field of one row (sObject GET). */
export function renderFullRecord(table: SfTable, row: number, apiVersion: string, only?: string[]): SfRecord {
  const record: SfRecord = { attributes: { type: table.name, url: recordUrl(apiVersion, table.name, table.field('Id')?.get(row)) } };
  const fields = only ? only.map((n) => table.field(n)).filter((f) => f !== undefined) : table.fields;
  for (const f of fields) record[f.name] = renderValue(table, f, row, apiVersion);
  return record;
}

/** Renders the selected fields of a query result row. */
export function renderQueryRecord(compiled: CompiledQuery, row: number, apiVersion: string): SfRecord {
  const { table } = compiled;
  const record: SfRecord = { attributes: { type: table.name, url: recordUrl(apiVersion, table.name, table.field('Id')?.get(row)) } };
  for (const f of compiled.fields) {
    if (f.hops.length === 0) {
      record[f.field.name] = renderValue(table, f.field, row, apiVersion);
      continue;
    }
    // Walk (and create) the nested relationship objects; a missing parent renders as null.
    let target: Record<string, unknown> = record;
    let r: number | undefined = row;
    let broken = false;
    for (const hop of f.hops) {
      const key = hop.via.reference!.relationshipName;
      r = r === undefined ? undefined : hop.via.reference!.row(r);
      if (r === undefined) {
        if (!(key in target)) target[key] = null;
        broken = true;
        break;
      }
      let nested = target[key] as Record<string, unknown> | null | undefined;
      if (!nested) {
        nested = { attributes: { type: hop.table.name, url: recordUrl(apiVersion, hop.table.name, hop.table.field('Id')?.get(r)) } };
        target[key] = nested;
      }
      target = nested;
    }
    if (!broken && r !== undefined) target[f.field.name] = formatValue(f.field, f.field.get(r));
  }
  // Child relationships render as a nested query result, or null when there are no rows.
  for (const sub of compiled.subqueries) {
    const rows = sub.rowsFor(row);
    record[sub.relationshipName] =
      rows.length === 0
        ? null
        : {
            totalSize: rows.length,
            done: true,
            records: rows.map((r) =>
              renderQueryRecord(
                {
                  table: sub.table,
                  count: false,
                  fields: sub.fields,
                  subqueries: [],
                  rows: [],
                  totalSize: 0,
                  offset: null,
                  ordered: false,
                },
                r,
                apiVersion,
              ),
            ),
          };
  }
  return record;
}
