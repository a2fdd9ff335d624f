/**
 * Query rules of the Content objects, checked before a query runs: ContentDocumentLink must be filtered
 * by ContentDocumentId or LinkedEntityId (= or IN), else MALFORMED_QUERY "Implementation restriction".
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_contentdocumentlink.htm
 */
import type { Condition, SoqlQuery } from '../soql/ast.js';
import { SoqlError } from '../soql/execute.js';

const LINK_FILTER_FIELDS = new Set(['id', 'contentdocumentid', 'linkedentityid']);

/** Salesforce's rule for ContentDocumentLink queries, checked before the query runs. */
export function checkContentDocumentLinkQuery(query: SoqlQuery): void {
  if (query.from.toLowerCase() !== 'contentdocumentlink') return;
  const byId = (c: Condition): boolean =>
    (c.kind === 'compare' && c.op === '=' && c.value.kind === 'string' && LINK_FILTER_FIELDS.has(c.field.text.toLowerCase())) ||
    (c.kind === 'in' && !c.negated && LINK_FILTER_FIELDS.has(c.field.text.toLowerCase()));
  const where = query.where;
  const ok = where !== null && (byId(where) || (where.kind === 'and' && where.items.some(byId)));
  if (!ok) {
    throw new SoqlError(
      'MALFORMED_QUERY',
      'Implementation restriction: ContentDocumentLink requires a filter by a single Id on ContentDocumentId or LinkedEntityId ' +
        "using the equals operator or multiple Id's using the IN operator.",
    );
  }
}
