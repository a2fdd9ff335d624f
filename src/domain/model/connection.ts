import { z } from 'zod';
import { CurrencyCode, Provider } from './primitives.js';

const secret = z.string().min(1);

/** Nightly sync schedule: a cron expression evaluated in an IANA time zone. */
export const Schedule = z.object({
  /** @defaultValue "0 2 * * *" */
  cron: z.string().min(1).default('0 2 * * *'),
  /** @defaultValue "UTC" */
  timezone: z.string().min(1).default('UTC'),
});

/** Names of the CRM fields dealwatch reads and writes; each provider has its own defaults. */
export const FieldMap = z.object({
  score: z.string().min(1).optional(),
  flags: z.string().min(1).optional(),
  /**
   * Field holding the discount percent (read). Unset: the provider's default (HubSpot
   * `discount_percent`, Salesforce `Discount_Percent__c`); a deal without a value is not checked.
   */
  discount: z.string().min(1).optional(),
  /** Field holding the closed-lost reason; unset means `closed_lost_missing_reason` is off (HubSpot still reads `closed_lost_reason`). */
  lostReason: z.string().min(1).optional(),
  /**
   * Salesforce: checkbox on Account marking target accounts (e.g. `Key_Account__c`), read through
   * each Opportunity's Account; its accounts join the key-accounts list. HubSpot reads the company
   * property `hs_is_target_account` without any setting.
   */
  targetAccount: z.string().min(1).optional(),
});
export type FieldMap = z.infer<typeof FieldMap>;

/**
 * Write-back mode. `dry-run` (default) computes and records the exact writes without calling
 * the CRM; `on` writes; `off` scores and reports only.
 */
export const WritebackMode = z.enum(['on', 'dry-run', 'off']);
export type WritebackMode = z.infer<typeof WritebackMode>;

/** A quarter's label in the connection's fiscal calendar, as reports print it. */
export const QUARTER_LABEL = /^FY\d{4}-Q[1-4]$/;

/** A quota: one amount for every quarter, or amounts per fiscal quarter with an optional `default`. */
export const Quota = z.union(
  [
    z.number().nonnegative(),
    z.record(
      z.string().refine((k) => k === 'default' || QUARTER_LABEL.test(k), 'a fiscal quarter like FY2026-Q4, or "default"'),
      z.number().nonnegative(),
    ),
  ],
  { error: 'an amount >= 0, or amounts per fiscal quarter like { "FY2026-Q4": 250000, "default": 200000 }' },
);
export type Quota = z.infer<typeof Quota>;

/** The quota of one quarter (undefined when none applies). */
export function quotaOf(quota: Quota | undefined, quarterLabel: string): number | undefined {
  if (quota === undefined || typeof quota === 'number') return quota;
  return quota[quarterLabel] ?? quota.default;
}

/** Settings shared by every provider: a provider's own settings schema extends it (docs/architecture.md, "How to add"). */
export const ConnectionBase = z.object({
  /** Stable id used in URLs, logs and every database row. */
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, - and _ (max 63)'),
  name: z.string().optional(),
  schedule: Schedule.default({ cron: '0 2 * * *', timezone: 'UTC' }),
  /** Time zone for day boundaries in rules and reports; defaults to the schedule's. */
  timezone: z.string().optional(),
  fieldMap: FieldMap.default({}),
  writeback: WritebackMode.default('dry-run'),
  /** Rule threshold overrides, validated by the engine's rules schema (src/domain/rules). */
  rules: z.record(z.string(), z.unknown()).default({}),
  /** Currency reports are expressed in. @defaultValue "USD" */
  reportingCurrency: CurrencyCode.default('USD'),
  /** Rates to the reporting currency (1 unit of key = rate units of reporting currency). */
  exchangeRates: z.record(CurrencyCode, z.number().positive()).optional(),
  /**
   * Quota per owner external id, in the reporting currency: one number for every quarter, or per
   * fiscal quarter (`{ "FY2026-Q4": 300000, "default": 250000 }`).
   */
  quotas: z.record(z.string(), Quota).optional(),
  /** Quota per team (same shape); a team without one gets the sum of its reps' quotas. */
  teamQuotas: z.record(z.string(), Quota).optional(),
  /**
   * Forecast category per stage id, for deals whose CRM sets none (HubSpot deals usually):
   * `pipeline`, `best_case`, `commit` or `omitted`. Unmapped stages: probability >= 0.8 commit,
   * >= 0.5 best case, else pipeline.
   */
  forecastCategories: z.record(z.string(), z.enum(['pipeline', 'best_case', 'commit', 'omitted'])).optional(),
  /** Team name -> owner external ids. */
  teams: z.record(z.string(), z.array(z.string())).optional(),
  /** Account ids the manager wants on the key-accounts list. */
  keyAccounts: z.array(z.string()).optional(),
  /** First month of the fiscal year (1-12). @defaultValue 1 */
  fiscalYearStartMonth: z.number().int().min(1).max(12).default(1),
  /** Look-back window for incremental pulls, in minutes. @defaultValue 10 */
  lookbackMinutes: z.number().int().nonnegative().default(10),
  /** Requests allowed per rate window, shared by every worker. Provider defaults when unset. */
  rateLimit: z.object({ requests: z.number().int().positive(), perMs: z.number().int().positive() }).optional(),
  /**
   * Kind of record created per new warning: HubSpot note or task on the deal; Salesforce Task, or
   * Enhanced Note (ContentNote shared with the opportunity). @defaultValue "note" (HubSpot), "task" (Salesforce)
   */
  warningRecord: z.enum(['note', 'task']).optional(),
});

/**
 * OAuth for a HubSpot public app: the refresh token (from the app's install) is exchanged at
 * `POST {baseUrl}/oauth/v1/token` for short-lived access tokens, refreshed before they expire and
 * once more on a 401.
 */
export const HubSpotOAuth = z.object({
  type: z.literal('oauth'),
  clientId: z.string().min(1),
  clientSecret: secret,
  refreshToken: secret,
});
export type HubSpotOAuth = z.infer<typeof HubSpotOAuth>;

/** How a HubSpot connection authenticates, besides a private app's `accessToken`. */
export const HubSpotAuth = z.discriminatedUnion('type', [HubSpotOAuth]);
export type HubSpotAuth = z.infer<typeof HubSpotAuth>;

export const HubSpotConnection = ConnectionBase.extend({
  provider: z.literal('hubspot'),
  /** Private app access token. Exactly one of `accessToken` and `auth` is set. */
  accessToken: secret.optional(),
  /** Public app OAuth (`{ type: 'oauth', clientId, clientSecret, refreshToken }`). Exactly one of `accessToken` and `auth` is set. */
  auth: HubSpotAuth.optional(),
  /** API base URL without trailing slash. @defaultValue "https://api.hubapi.com" */
  baseUrl: z.url().default('https://api.hubapi.com'),
  /** HubSpot account id; routes webhooks to this connection. */
  // A HubSpot account id is a positive integer; anything else would silently route no webhook here.
  portalId: z
    .union([z.string().regex(/^[1-9]\d*$/, 'expected a HubSpot account id (digits)'), z.number().int().positive()])
    .transform(String)
    .optional(),
  /** App client secret used to verify webhook signatures. */
  webhookSecret: secret.optional(),
}).superRefine(
  (connection, ctx) => {
    // Runs even when other fields are invalid, so every problem of the file is reported at once.
    const { accessToken, auth } = connection as { accessToken?: unknown; auth?: unknown };
    if (accessToken === undefined && auth === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['accessToken'],
        message: 'required (a private app token), or set auth ({ "type": "oauth", clientId, clientSecret, refreshToken }) for a public app',
      });
    } else if (accessToken !== undefined && auth !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['auth'],
        message: 'set either accessToken (private app) or auth (OAuth public app), not both',
      });
    }
  },
  { when: () => true },
);
export type HubSpotConnection = z.infer<typeof HubSpotConnection>;

export const SalesforceAuth = z.discriminatedUnion('type', [
  z.object({ type: z.literal('accessToken'), accessToken: secret }),
  z.object({ type: z.literal('refreshToken'), clientId: secret, clientSecret: secret.optional(), refreshToken: secret }),
  z.object({ type: z.literal('jwt'), clientId: secret, username: z.string().min(1), privateKey: secret }),
  z.object({ type: z.literal('clientCredentials'), clientId: secret, clientSecret: secret }),
]);
export type SalesforceAuth = z.infer<typeof SalesforceAuth>;

export const SalesforceConnection = ConnectionBase.extend({
  provider: z.literal('salesforce'),
  instanceUrl: z.url().optional(),
  /** @defaultValue "https://login.salesforce.com" */
  loginUrl: z.url().default('https://login.salesforce.com'),
  /** @defaultValue "62.0" */
  apiVersion: z
    .string()
    .regex(/^\d+\.\d$/, 'like 62.0')
    .default('62.0'),
  auth: SalesforceAuth,
  /** 18-character org id; outbound messages from another org are refused. */
  organizationId: z.string().optional(),
  /** Secret path segment of the outbound message URL. */
  outboundMessageToken: secret.optional(),
  /** Above this many records a full sync uses Bulk API 2.0. @defaultValue 10000 */
  bulkThreshold: z.number().int().positive().default(10_000),
});
export type SalesforceConnection = z.infer<typeof SalesforceConnection>;

export const ConnectionSettings = z.discriminatedUnion('provider', [HubSpotConnection, SalesforceConnection]);
export type ConnectionSettings = z.infer<typeof ConnectionSettings>;

/** A connection as the store and reports see it (no secrets). */
export const Connection = z.object({
  id: z.string(),
  provider: Provider,
  name: z.string(),
  timezone: z.string(),
  reportingCurrency: CurrencyCode,
});
export type Connection = z.infer<typeof Connection>;
