/** What the Salesforce surface works on: the book, credentials, sessions, cursors and bulk jobs. */
import type { BookStore } from '../book-store.js';
import type { CallLog } from '../call-log.js';
import { ContentStore } from './content.js';

export interface SalesforceCredentials {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  username: string;
  organizationId: string;
  /** PEM public key the JWT bearer assertion is verified against. */
  jwtPublicKeyPem: string;
  /** Audience accepted in JWT assertions besides the sandbox's own login URL. */
  acceptedAudiences: string[];
}

export interface SalesforceLimitsOptions {
  /** Daily API requests; past it every call gets 403 REQUEST_LIMIT_EXCEEDED. @defaultValue 100000 */
  dailyApiRequests?: number;
  /** Lifetime of access tokens (sandbox clock). @defaultValue 2 hours */
  tokenTtlMs?: number;
  /** Idle lifetime of query cursors (sandbox clock). @defaultValue 15 minutes */
  cursorTtlMs?: number;
}

export class SalesforceContext {
  readonly sessions = new Map<string, { expiresAt: number }>();
  /** Custom fields present on Opportunity (removable to simulate a misconfigured org). */
  readonly opportunityCustomFields = new Set(['Discount_Percent__c', 'Dealwatch_Score__c', 'Dealwatch_Flags__c', 'Loss_Reason__c']);
  /** Custom fields present on Activity (Task and Event): dealwatch's record key field, removable. */
  readonly activityCustomFields = new Set(['Dealwatch_Key__c']);
  /**
   * Fields created through the Tooling API (`Object.Field__c` -> their definition): describe shows
   * them with that type, label and picklist values. See tooling.ts.
   */
  readonly createdFields = new Map<
    string,
    {
      type: 'string' | 'textarea' | 'double' | 'percent' | 'picklist' | 'multipicklist' | 'boolean';
      label: string;
      picklistValues?: { value: string; label: string }[];
    }
  >();
  /**
   * Opportunity fields the integration user's profile sees read-only (field-level security without
   * Edit): describe says `updateable: false` and an update naming one fails that record with
   * INVALID_FIELD_FOR_INSERT_UPDATE.
   * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_update.htm
   * https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_concepts_core_data_objects.htm#i1421192
   */
  readonly readOnlyOpportunityFields = new Set<string>();
  /** Enhanced Notes (ContentNote) and their ContentDocumentLinks. */
  readonly content = new ContentStore();
  apiUsed = 0;
  readonly dailyApiRequests: number;
  readonly tokenTtlMs: number;
  readonly cursorTtlMs: number;

  constructor(
    readonly store: BookStore,
    readonly log: CallLog,
    readonly credentials: SalesforceCredentials,
    limits: SalesforceLimitsOptions = {},
  ) {
    this.dailyApiRequests = limits.dailyApiRequests ?? 100_000;
    this.tokenTtlMs = limits.tokenTtlMs ?? 2 * 3_600_000;
    this.cursorTtlMs = limits.cursorTtlMs ?? 15 * 60_000;
  }

  issueToken(token: string): void {
    this.sessions.set(token, { expiresAt: this.store.now() + this.tokenTtlMs });
  }

  /** 'ok', 'expired' or 'unknown'. */
  checkToken(token: string): 'ok' | 'expired' | 'unknown' {
    const s = this.sessions.get(token);
    if (!s) return 'unknown';
    return s.expiresAt > this.store.now() ? 'ok' : 'expired';
  }

  expireAllTokens(): void {
    for (const s of this.sessions.values()) s.expiresAt = 0;
  }
}

/** Salesforce error bodies are arrays of `{message, errorCode}` (plus `fields` for field errors). */
export function sfError(
  errorCode: string,
  message: string,
  fields?: string[],
): { message: string; errorCode: string; fields?: string[] }[] {
  return [fields ? { message, errorCode, fields } : { message, errorCode }];
}
