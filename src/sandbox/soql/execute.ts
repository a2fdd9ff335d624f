/**
 * Runs a parsed SOQL query over the sandbox's sObject tables: resolves fields (unknown ones are
 * INVALID_FIELD, unknown objects INVALID_TYPE, as Salesforce answers), filters, sorts with
 * Salesforce's null ordering, and applies OFFSET/LIMIT. Returns row indexes plus a projector that
 * renders one row as a REST record.
 */
import { isoDay } from '../generator/generate.js';
import type { SfField, SfFieldType, SfTable } from '../salesforce/schema.js';
import type { Condition, FieldPath, Literal, SoqlQuery } from './ast.js';
import { dateLiteralRange } from './date-literals.js';

const SEE_WSDL = 'Please reference your WSDL or the describe call for the appropriate names.';

export class SoqlError extends Error {
  constructor(
    readonly errorCode: 'MALFORMED_QUERY' | 'INVALID_FIELD' | 'INVALID_TYPE',
    message: string,
  ) {
    super(message);
  }
}

interface ResolvedField {
  path: FieldPath;
  field: SfField;
  /** Tables walked through relationships, outermost first, and their relationship fields. */
  hops: { via: SfField; table: SfTable }[];
  get(row: number): string | number | boolean | null;
}

export interface CompiledQuery {
  table: SfTable;
  count: boolean;
  fields: ResolvedField[];
  subqueries: CompiledSubquery[];
  rows: number[];
  totalSize: number;
  /** The query's OFFSET and ORDER BY as written (Bulk API 2.0 refuses OFFSET; ORDER BY turns its PK chunking off). */
  offset: number | null;
  ordered: boolean;
}

/** A parent-to-child subquery, run per parent row. */
export interface CompiledSubquery {
  relationshipName: string;
  table: SfTable;
  fields: ResolvedField[];
  rowsFor(parentRow: number): number[];
}

const DAY = 86_400_000;

function resolve(tables: Map<string, SfTable>, table: SfTable, path: FieldPath): ResolvedField {
  const hops: { via: SfField; table: SfTable }[] = [];
  let current = table;
  for (let i = 0; i < path.parts.length - 1; i++) {
    const rel = current.relationship(path.parts[i] as string);
    if (!rel || !rel.reference) {
      throw new SoqlError(
        'INVALID_FIELD',
        `\n${path.text}\n^\nERROR at Row:1:Column:${path.pos + 1}\nDidn't understand relationship '${path.parts[i]}' in field path. ` +
          "If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. " +
          SEE_WSDL,
      );
    }
    const target = tables.get(rel.reference.referenceTo.toLowerCase());
    if (!target) throw new SoqlError('INVALID_FIELD', `relationship '${path.parts[i]}' is not supported by the sandbox`);
    hops.push({ via: rel, table: target });
    current = target;
  }
  const last = path.parts[path.parts.length - 1] as string;
  const field = current.field(last);
  if (!field) {
    throw new SoqlError(
      'INVALID_FIELD',
      `\n${path.text}\n^\nERROR at Row:1:Column:${path.pos + 1}\nNo such column '${last}' on entity '${current.name}'. ` +
        "If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. " +
        SEE_WSDL,
    );
  }
  const get = (row: number) => {
    let r: number | undefined = row;
    for (const hop of hops) {
      r = r === undefined ? undefined : hop.via.reference!.row(r);
      if (r === undefined) return null;
    }
    return r === undefined ? null : field.get(r);
  };
  return { path, field, hops, get };
}

type Value = string | number | boolean | null;

function literalValue(lit: Literal, type: SfFieldType, now: number): Value | { start: number; end: number } {
  switch (lit.kind) {
    case 'null':
      return null;
    case 'boolean':
      return lit.value;
    case 'number':
      return lit.value;
    case 'string':
      return lit.value;
    case 'date':
      return Date.parse(`${lit.value}T00:00:00Z`);
    case 'datetime':
      return type === 'date' ? Math.floor(lit.value / DAY) * DAY : lit.value;
    case 'dateLiteral':
      return dateLiteralRange(lit.name, lit.n, now);
  }
}

function checkLiteralType(field: ResolvedField, lit: Literal): void {
  const t = field.field.type;
  const isDateField = t === 'date' || t === 'datetime';
  const ok =
    lit.kind === 'null' ||
    (isDateField && (lit.kind === 'date' || lit.kind === 'datetime' || lit.kind === 'dateLiteral')) ||
    (t === 'boolean' && lit.kind === 'boolean') ||
    ((t === 'currency' || t === 'double' || t === 'percent' || t === 'int') && lit.kind === 'number') ||
    ((t === 'string' || t === 'textarea' || t === 'picklist' || t === 'id' || t === 'reference') && lit.kind === 'string');
  if (!ok) {
    const expected = isDateField
      ? t
      : t === 'boolean'
        ? 'boolean'
        : t === 'currency' || t === 'double' || t === 'percent' || t === 'int'
          ? 'number'
          : 'string';
    throw new SoqlError(
      'INVALID_FIELD',
      `\nERROR at Row:1:Column:${field.path.pos + 1}\nvalue of filter criterion for field '${field.field.name}' ` +
        `must be of type ${expected} and should not be enclosed in quotes`,
    );
  }
  if (t === 'date' && lit.kind === 'datetime') {
    throw new SoqlError(
      'INVALID_FIELD',
      `\nERROR at Row:1:Column:${field.path.pos + 1}\nvalue of filter criterion for field '${field.field.name}' ` +
        `must be of type date and should not be enclosed in quotes`,
    );
  }
  if (t === 'datetime' && lit.kind === 'date') {
    throw new SoqlError(
      'INVALID_FIELD',
      `\nERROR at Row:1:Column:${field.path.pos + 1}\nvalue of filter criterion for field '${field.field.name}' ` +
        `must be of type dateTime and should not be enclosed in quotes`,
    );
  }
}

function normalise(v: Value, type: SfFieldType): Value {
  if (typeof v === 'string' && (type === 'id' || type === 'reference')) return v.slice(0, 15);
  if (typeof v === 'string') return v.toLowerCase();
  return v;
}

function compareValues(a: Value, b: Value): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function likeToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\' && (pattern[i + 1] === '%' || pattern[i + 1] === '_')) {
      re += pattern[i + 1];
      i++;
    } else if (c === '%') re += '.*';
    else if (c === '_') re += '.';
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'is');
}

type Predicate = (row: number) => boolean;

/** base64 fields cannot appear in ORDER BY either (describe: sortable false). */
function sortable(field: ResolvedField): ResolvedField {
  if (field.field.type === 'base64') {
    throw new SoqlError(
      'INVALID_FIELD',
      `\nERROR at Row:1:Column:${field.path.pos + 1}\nfield '${field.field.name}' can not be sorted in a query call`,
    );
  }
  return field;
}

/** base64 fields (ContentNote.Content) cannot appear in a WHERE clause. */
function filterable(field: ResolvedField): ResolvedField {
  if (field.field.type === 'base64') {
    throw new SoqlError(
      'INVALID_FIELD',
      `\nERROR at Row:1:Column:${field.path.pos + 1}\nfield '${field.field.name}' can not be filtered in a query call`,
    );
  }
  return field;
}

function compileCondition(tables: Map<string, SfTable>, table: SfTable, cond: Condition, now: number): Predicate {
  switch (cond.kind) {
    case 'and': {
      const items = cond.items.map((c) => compileCondition(tables, table, c, now));
      return (r) => items.every((p) => p(r));
    }
    case 'or': {
      const items = cond.items.map((c) => compileCondition(tables, table, c, now));
      return (r) => items.some((p) => p(r));
    }
    case 'not': {
      const inner = compileCondition(tables, table, cond.item, now);
      return (r) => !inner(r);
    }
    case 'like': {
      const f = filterable(resolve(tables, table, cond.field));
      const re = likeToRegExp(cond.pattern);
      return (r) => {
        const v = f.get(r);
        return v !== null && re.test(String(v));
      };
    }
    case 'in': {
      const f = filterable(resolve(tables, table, cond.field));
      cond.values.forEach((v) => checkLiteralType(f, v));
      const values = cond.values
        .map((l) => literalValue(l, f.field.type, now))
        .map((v) => (typeof v === 'object' && v !== null ? v : normalise(v, f.field.type)));
      return (r) => {
        const actual = f.get(r);
        if (actual === null) return cond.negated && !values.includes(null);
        const a = normalise(actual, f.field.type);
        const hit = values.some((v) =>
          typeof v === 'object' && v !== null
            ? typeof a === 'number' && a >= v.start && a < v.end
            : v !== null && compareValues(a, v) === 0,
        );
        return cond.negated ? !hit : hit;
      };
    }
    case 'compare': {
      const f = filterable(resolve(tables, table, cond.field));
      checkLiteralType(f, cond.value);
      if (cond.value.kind === 'null' && cond.op !== '=' && cond.op !== '!=') {
        throw new SoqlError('MALFORMED_QUERY', `\nERROR at Row:1:Column:${cond.field.pos + 1}\ninvalid operator on null`);
      }
      const lit = literalValue(cond.value, f.field.type, now);
      const op = cond.op;
      if (typeof lit === 'object' && lit !== null) {
        const { start, end } = lit;
        return (r) => {
          const v = f.get(r);
          if (typeof v !== 'number') return op === '!=' && v === null;
          switch (op) {
            case '=':
              return v >= start && v < end;
            case '!=':
              return v < start || v >= end;
            case '<':
              return v < start;
            case '<=':
              return v < end;
            case '>':
              return v >= end;
            case '>=':
              return v >= start;
          }
        };
      }
      const expected = lit === null ? null : normalise(lit, f.field.type);
      return (r) => {
        const raw = f.get(r);
        if (expected === null) return op === '=' ? raw === null : raw !== null;
        if (raw === null) return op === '!=';
        const c = compareValues(normalise(raw, f.field.type), expected);
        switch (op) {
          case '=':
            return c === 0;
          case '!=':
            return c !== 0;
          case '<':
            return c < 0;
          case '<=':
            return c <= 0;
          case '>':
            return c > 0;
          case '>=':
            return c >= 0;
        }
      };
    }
  }
}

type Order = { f: ResolvedField; descending: boolean; nullsLast: boolean }[];

function sortRows(rows: number[], order: Order): void {
  if (order.length === 0) return;
  const keys = new Map<number, Value[]>();
  for (const r of rows)
    keys.set(
      r,
      order.map((o) => o.f.get(r)),
    );
  rows.sort((a, b) => {
    const ka = keys.get(a)!;
    const kb = keys.get(b)!;
    for (let i = 0; i < order.length; i++) {
      const o = order[i]!;
      const x = ka[i] ?? null;
      const y = kb[i] ?? null;
      if (x === null && y === null) continue;
      if (x === null) return o.nullsLast ? 1 : -1;
      if (y === null) return o.nullsLast ? -1 : 1;
      const c = compareValues(normalise(x, o.f.field.type), normalise(y, o.f.field.type));
      if (c !== 0) return o.descending ? -c : c;
    }
    return a - b;
  });
}

function compileSubquery(
  tables: Map<string, SfTable>,
  parent: SfTable,
  sub: SoqlQuery,
  options: { includeDeleted: boolean; now: number },
): CompiledSubquery {
  const rel = parent.children.get(sub.from.toLowerCase());
  const table = rel ? tables.get(rel.childSObject.toLowerCase()) : undefined;
  if (!rel || !table) {
    throw new SoqlError(
      'INVALID_TYPE',
      `\nERROR at Row:1:Column:${sub.fromPos + 1}\nDidn't understand relationship '${sub.from}' in FROM part of query call. ` +
        "If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. " +
        SEE_WSDL,
    );
  }
  if (sub.fields === null) throw new SoqlError('MALFORMED_QUERY', 'COUNT() is not supported in a subquery');
  const fields = sub.fields.map((p) => resolve(tables, table, p));
  const predicate = sub.where ? compileCondition(tables, table, sub.where, options.now) : null;
  const order = sub.orderBy.map((o) => ({
    descending: o.descending,
    nullsLast: o.nullsLast,
    f: sortable(resolve(tables, table, o.field)),
  }));
  return {
    relationshipName: rel.relationshipName,
    table,
    fields,
    rowsFor(parentRow) {
      const rows = rel
        .rowsOf(parentRow)
        .filter((r) => table.belongs(r) && (options.includeDeleted || !table.isDeleted(r)) && (!predicate || predicate(r)));
      sortRows(rows, order);
      const offset = sub.offset ?? 0;
      return rows.slice(offset, sub.limit === null ? undefined : offset + sub.limit);
    },
  };
}

export function executeSoql(
  tables: Map<string, SfTable>,
  query: SoqlQuery,
  options: { includeDeleted: boolean; now: number },
): CompiledQuery {
  const table = tables.get(query.from.toLowerCase());
  if (!table) {
    throw new SoqlError(
      'INVALID_TYPE',
      `\n${query.from}\n^\nERROR at Row:1:Column:${query.fromPos + 1}\nsObject type '${query.from}' is not supported. ` +
        "If you are attempting to use a custom object, be sure to append the '__c' after the entity name. " +
        SEE_WSDL,
    );
  }
  const fields = (query.fields ?? []).map((p) => resolve(tables, table, p));
  const seen = new Set<string>();
  for (const f of fields) {
    const key = f.path.text.toLowerCase();
    if (seen.has(key)) throw new SoqlError('MALFORMED_QUERY', `duplicate field selected: ${f.path.text}`);
    seen.add(key);
  }
  const subqueries = query.subqueries.map((sub) => compileSubquery(tables, table, sub, options));
  const predicate = query.where ? compileCondition(tables, table, query.where, options.now) : null;
  const order = query.orderBy.map((o) => ({
    descending: o.descending,
    nullsLast: o.nullsLast,
    f: sortable(resolve(tables, table, o.field)),
  }));
  if (query.offset !== null && query.offset > 2000) {
    throw new SoqlError('MALFORMED_QUERY', 'Maximum SOQL offset allowed is 2000');
  }
  const rows: number[] = [];
  const n = table.rowCount();
  for (let r = 0; r < n; r++) {
    if (!table.belongs(r)) continue;
    if (!options.includeDeleted && table.isDeleted(r)) continue;
    if (predicate && !predicate(r)) continue;
    rows.push(r);
  }
  sortRows(rows, order);
  const offset = query.offset ?? 0;
  const limited = rows.slice(offset, query.limit === null ? undefined : offset + query.limit);
  return {
    table,
    count: query.fields === null,
    fields,
    subqueries,
    rows: limited,
    totalSize: limited.length,
    offset: query.offset,
    ordered: order.length > 0,
  };
}

/** Salesforce's REST datetime format: `2024-01-05T10:00:00.000+0000`. */
export function formatDateTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

export function formatValue(field: SfField, v: string | number | boolean | null): string | number | boolean | null {
  if (v === null) return null;
  if (field.type === 'date' && typeof v === 'number') return isoDay(v);
  if (field.type === 'datetime' && typeof v === 'number') return formatDateTime(v);
  return v;
}
