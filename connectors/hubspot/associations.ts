/**
 * Associations: the v4 batch read (following per-record paging) and the v3 inline `associations=`
 * expansion, both as records with a `primary` flag (HubSpot marks one company per deal primary).
 */
import { chunks } from '../shared/chunks.js';
import type { HubSpotClient, HubSpotObjectType } from './client.js';
import { AssociationBatchResponse, type RawObject } from './schemas.js';

/** v4 association batch read takes at most 1,000 inputs. */
export const ASSOCIATION_BATCH_LIMIT = 1_000;

/** One associated record. */
export interface AssociatedRecord {
  id: string;
  /** True for the pair's primary association (deal -> company: HUBSPOT_DEFINED type 5, inline type `deal_to_company`). */
  primary: boolean;
}

type Pair = `${HubSpotObjectType}->${HubSpotObjectType}`;

/**
 * Primary association types (https://developers.hubspot.com/docs/api-reference/crm-associations-v4/guide#deal-to-object):
 * deal -> company is 5 "Primary" (341 is the unlabeled one); inline v3 lists it as `deal_to_company`
 * and the unlabeled one as `deal_to_company_unlabeled`.
 */
const PRIMARY: Partial<Record<Pair, { typeId: number; inlineType: string }>> = {
  'deals->companies': { typeId: 5, inlineType: 'deal_to_company' },
};

/** Adds `record` to `list`, merging a repeated id (one entry per association type) into one. */
function addRecord(list: AssociatedRecord[], record: AssociatedRecord): void {
  const existing = list.find((r) => r.id === record.id);
  if (existing) existing.primary ||= record.primary;
  else list.push(record);
}

/** The records of `to` that `raw` lists inline (the list endpoint's `associations=`). */
export function inlineAssociated(raw: RawObject, from: HubSpotObjectType, to: HubSpotObjectType): AssociatedRecord[] {
  const primaryType = PRIMARY[`${from}->${to}`]?.inlineType;
  const list: AssociatedRecord[] = [];
  for (const a of raw.associations?.[to]?.results ?? [])
    addRecord(list, { id: a.id, primary: primaryType !== undefined && a.type === primaryType });
  return list;
}

/** The primary record when one is marked, else the first listed; null when there is none. */
export function primaryId(records: readonly AssociatedRecord[]): string | null {
  return (records.find((r) => r.primary) ?? records[0])?.id ?? null;
}

/** Associations from records of `from` to records of `to`, through the v4 batch read (1,000 inputs a call). */
export async function readAssociated(
  client: HubSpotClient,
  from: HubSpotObjectType,
  to: HubSpotObjectType,
  ids: string[],
  signal?: AbortSignal,
): Promise<Map<string, AssociatedRecord[]>> {
  const primaryTypeId = PRIMARY[`${from}->${to}`]?.typeId;
  const links = new Map<string, AssociatedRecord[]>();
  let pending = ids.map((id) => ({ id }) as { id: string; after?: string });
  while (pending.length > 0) {
    const next: { id: string; after: string }[] = [];
    for (const inputs of chunks(pending, ASSOCIATION_BATCH_LIMIT)) {
      const response = await client.readAssociations(from, to, inputs, signal);
      const body = AssociationBatchResponse.parse(response.body);
      for (const result of body.results ?? []) {
        const fromId = result._from?.id ?? result.from?.id;
        if (!fromId) continue;
        const list = links.get(fromId) ?? [];
        for (const target of result.to ?? []) {
          const primary =
            primaryTypeId !== undefined &&
            (target.associationTypes ?? []).some(
              (t) => t.typeId === primaryTypeId && (t.category ?? 'HUBSPOT_DEFINED') === 'HUBSPOT_DEFINED',
            );
          addRecord(list, { id: target.toObjectId, primary });
        }
        links.set(fromId, list);
        const after = result.paging?.next?.after;
        if (after) next.push({ id: fromId, after });
      }
    }
    pending = next;
  }
  return links;
}

/** Ids of the records of `to` linked to each record of `from` (v4 batch read). */
export async function readLinks(
  client: HubSpotClient,
  from: HubSpotObjectType,
  to: HubSpotObjectType,
  ids: string[],
  signal?: AbortSignal,
): Promise<Map<string, string[]>> {
  const associated = await readAssociated(client, from, to, ids, signal);
  return new Map([...associated].map(([id, records]) => [id, records.map((r) => r.id)]));
}
