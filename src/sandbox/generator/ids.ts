/**
 * Record ids in each provider's format: HubSpot numeric strings; Salesforce 18-character ids
 * (3-character key prefix + 12 characters + the case-safe checksum suffix Salesforce appends).
 */
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SUFFIX_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/** Salesforce key prefixes of the objects the sandbox serves. */
export const SALESFORCE_KEY_PREFIX = {
  Account: '001',
  Contact: '003',
  User: '005',
  Opportunity: '006',
  OpportunityHistory: '008',
  OpportunityFieldHistory: '017',
  OpportunityStage: '01J',
  OpportunityContactRole: '00K',
  Task: '00T',
  Event: '00U',
  Organization: '00D',
  QueryJob: '750',
  QueryLocator: '01g',
} as const;
export type SalesforceObjectWithId = keyof typeof SALESFORCE_KEY_PREFIX;

/** 15-character id to its 18-character case-insensitive form (the documented checksum). */
export function salesforceId18(id15: string): string {
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15.charCodeAt(chunk * 5 + i);
      if (c >= 65 && c <= 90) bits |= 1 << i;
    }
    suffix += SUFFIX_CHARS[bits];
  }
  return id15 + suffix;
}

export function salesforceId(object: SalesforceObjectWithId, n: number): string {
  let body = '';
  let v = n;
  for (let i = 0; i < 9; i++) {
    body = BASE62[v % 62] + body;
    v = Math.floor(v / 62);
  }
  return salesforceId18(`${SALESFORCE_KEY_PREFIX[object]}5g0${body}`);
}

/** HubSpot object ids are numeric strings; each object type gets its own range. */
export const HUBSPOT_ID_BASE = {
  deal: 14_000_000_000,
  activity: 50_000_000_000,
  contact: 30_000_000_000,
  company: 20_000_000_000,
  owner: 41_600_000,
} as const;

export function hubspotId(kind: keyof typeof HUBSPOT_ID_BASE, n: number): string {
  return String(HUBSPOT_ID_BASE[kind] + n);
}
