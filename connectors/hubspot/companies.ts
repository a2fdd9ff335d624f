/**
 * Company names and target-account flags for deals' `accountName` and `accountIsTarget`: read
 * through the objects batch read (100 ids a call, `properties=name,hs_is_target_account`) and kept
 * for the whole sync, so each company is read once however many deals point at it.
 * `hs_is_target_account` is HubSpot's default company property behind "Target account" (ABM):
 * https://knowledge.hubspot.com/properties/hubspots-default-company-properties
 */
import type { Log } from '../../src/logger.js';
import { CrmError } from '../../src/domain/errors.js';
import { chunks } from '../shared/chunks.js';
import type { HubSpotClient } from './client.js';
import type { DealAccount } from './mappers.js';
import { BatchResponse } from './schemas.js';

/** Objects batch read takes at most 100 inputs. */
export const COMPANY_BATCH_LIMIT = 100;

/** Company properties read for each deal's account. */
const COMPANY_PROPERTIES = ['name', 'hs_is_target_account'];

/** What a company read tells about a deal's account (null: gone, unset or unreadable). */
interface CompanyFacts {
  name: string | null;
  isTarget: boolean | null;
}

/** `"true"`/`"false"` (HubSpot's booleancheckbox values), else null. */
function checkbox(value: string | null | undefined): boolean | null {
  const v = value?.trim().toLowerCase();
  return v === 'true' ? true : v === 'false' ? false : null;
}

/** One sync's cache of company names and target flags (null: the company is gone or has none). */
export class CompanyNames {
  private readonly names = new Map<string, CompanyFacts>();
  /** Set when the portal (or the token's scopes) does not serve companies: names stay null. */
  private unavailable = false;

  constructor(
    private readonly client: HubSpotClient,
    private readonly log: Log,
  ) {}

  /** Reads the names of the companies not read yet in this sync. */
  async load(ids: Iterable<string>, signal?: AbortSignal): Promise<void> {
    if (this.unavailable) return;
    const missing = [...new Set(ids)].filter((id) => !this.names.has(id));
    for (const group of chunks(missing, COMPANY_BATCH_LIMIT)) {
      let body: BatchResponse;
      try {
        body = BatchResponse.parse((await this.client.batchRead('companies', group, COMPANY_PROPERTIES, signal)).body);
      } catch (error) {
        // 404 (no companies endpoint) or 403 (no crm.objects.companies.read scope): deals still sync,
        // with their account ids and no names, rather than the whole sync failing on a label.
        if (error instanceof CrmError && (error.code === 'CRM.NOT_FOUND' || error.status === 403)) {
          this.unavailable = true;
          this.log.warn({ code: error.code, status: error.status }, 'hubspot companies cannot be read; deals keep accountName null');
          return;
        }
        throw error;
      }
      for (const id of group) this.names.set(id, { name: null, isTarget: null });
      for (const company of body.results ?? []) {
        const name = company.properties?.name?.trim();
        this.names.set(company.id, { name: name ? name : null, isTarget: checkbox(company.properties?.hs_is_target_account) });
      }
    }
  }

  /** True once `id`'s name is settled: read (found or not), or companies cannot be read at all. */
  isKnown(id: string): boolean {
    return this.unavailable || this.names.has(id);
  }

  /** The deal account `id` as read by `load`: its name and whether the company is a target account. */
  accountOf(id: string | null): DealAccount {
    const facts = id === null ? undefined : this.names.get(id);
    return { id, name: facts?.name ?? null, isTarget: facts?.isTarget ?? null };
  }
}

/** An item waiting for its companies' names. */
export interface AwaitingNames<T> {
  item: T;
  companyIds: string[];
  /** Deals it holds (what `maxHeld` counts). */
  size: number;
}

/**
 * Items (deal pages) in their order, each released once its companies' names are known. Unknown
 * companies are read in full batches of 100: items wait while fewer are pending, until `maxHeld`
 * deals wait, so a sync costs about one call per 100 distinct companies rather than one per page.
 */
export async function* withCompanyNames<T>(
  items: AsyncIterable<AwaitingNames<T>>,
  names: CompanyNames,
  signal?: AbortSignal,
  maxHeld = 1_000,
): AsyncGenerator<T> {
  const held: AwaitingNames<T>[] = [];
  let heldDeals = 0;
  const unknown = (): string[] => [...new Set(held.flatMap((h) => h.companyIds))].filter((id) => !names.isKnown(id));
  function* release(): Generator<T> {
    while (held[0] && held[0].companyIds.every((id) => names.isKnown(id))) {
      const next = held.shift()!;
      heldDeals -= next.size;
      yield next.item;
    }
  }

  for await (const entry of items) {
    held.push(entry);
    heldDeals += entry.size;
    const pending = unknown();
    const full = pending.length - (pending.length % COMPANY_BATCH_LIMIT);
    // Front items' companies come first in `pending`, so a full batch frees the oldest items.
    if (full > 0) await names.load(pending.slice(0, full), signal);
    if (heldDeals >= maxHeld) await names.load(unknown(), signal);
    yield* release();
  }
  await names.load(unknown(), signal);
  yield* release();
}
