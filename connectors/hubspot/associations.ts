/** Association reads through the v4 batch endpoint, following per-record paging. */
import type { HubSpotClient, HubSpotObjectType } from './client.js';
import { AssociationBatchResponse } from './schemas.js';

/** v4 association batch read takes at most 1,000 inputs. */
export const ASSOCIATION_BATCH_LIMIT = 1_000;

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Links from records of `from` to records of `to`, through the v4 batch read (1,000 inputs a call). */
export async function readLinks(client: HubSpotClient, from: HubSpotObjectType, to: HubSpotObjectType, ids: string[], signal?: AbortSignal): Promise<Map<string, string[]>> {
  const links = new Map<string, string[]>();
  let pending = ids.map((id) => ({ id }) as { id: string; after?: string });
  while (pending.length > 0) {
    const next: { id: string; after: string }[] = [];
    for (const inputs of chunk(pending, ASSOCIATION_BATCH_LIMIT)) {
      const response = await client.readAssociations(from, to, inputs, signal);
      const body = AssociationBatchResponse.parse(response.body);
      for (const result of body.results ?? []) {
        const fromId = result._from?.id ?? result.from?.id;
        if (!fromId) continue;
        const list = links.get(fromId) ?? [];
        for (const target of result.to ?? []) list.push(target.toObjectId);
        links.set(fromId, list);
        const after = result.paging?.next?.after;
        if (after) next.push({ id: fromId, after });
      }
    }
    pending = next;
  }
  return links;
}

