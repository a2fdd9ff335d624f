/** What the HubSpot surface works on: the book, its credentials and OAuth tokens, and the properties created through the API. */
import { randomBytes } from 'node:crypto';
import type { BookStore } from '../book-store.js';
import type { CallLog } from '../call-log.js';
import { standardDealProperties, type PropertyDefinition } from './properties.js';

export interface HubSpotCredentials {
  /** Private app token: never expires. */
  accessToken: string;
  /** The app's client secret: the key of webhook signatures, and the OAuth `client_secret`. */
  webhookSecret: string;
  portalId: number;
  appId: number;
  /** The public app's OAuth client id (no OAuth when unset). */
  clientId?: string;
  /** Refresh token of the app's install. */
  refreshToken?: string;
}

export interface HubSpotOAuthOptions {
  /** Lifetime of OAuth access tokens on the sandbox clock (`expires_in` rounds it up to seconds). @defaultValue 30 minutes */
  tokenTtlMs?: number;
}

/** Outcome of checking a bearer token. */
export type TokenState = 'ok' | 'expired' | 'unknown';

export class HubSpotContext {
  /** Deal properties by name: the standard ones plus those created through `POST /crm/v3/properties/deals`. */
  readonly dealProperties = new Map<string, PropertyDefinition>();
  readonly customDealProperties = new Set<string>();
  /** Deal property groups created through `POST /crm/v3/properties/deals/groups` (the standard ones are implied). */
  readonly dealPropertyGroups = new Set<string>(['dealinformation']);
  /** Scopes the app was granted; null: every scope. */
  grantedScopes: Set<string> | null = null;

  /** True when the app holds `scope` (every scope unless the sandbox was started with a list). */
  hasScope(scope: string): boolean {
    return this.grantedScopes === null || this.grantedScopes.has(scope);
  }
  /** OAuth access tokens issued by `POST /oauth/v1/token`, with their expiry (sandbox clock). */
  private readonly oauthTokens = new Map<string, { expiresAt: number }>();
  tokenTtlMs: number;

  constructor(
    readonly store: BookStore,
    readonly log: CallLog,
    readonly credentials: HubSpotCredentials,
    oauth: HubSpotOAuthOptions = {},
  ) {
    for (const p of standardDealProperties(store)) this.dealProperties.set(p.name, p);
    this.tokenTtlMs = oauth.tokenTtlMs ?? 30 * 60_000;
  }

  /** A new OAuth access token valid for `tokenTtlMs` (opaque, like HubSpot's `C...` tokens). */
  issueAccessToken(): { token: string; ttlMs: number } {
    const token = `C${randomBytes(48).toString('base64url')}`;
    this.oauthTokens.set(token, { expiresAt: this.store.now() + this.tokenTtlMs });
    return { token, ttlMs: this.tokenTtlMs };
  }

  /** The private app token is always valid; an OAuth token until it expires. */
  checkToken(token: string): TokenState {
    if (token === this.credentials.accessToken) return 'ok';
    const session = this.oauthTokens.get(token);
    if (!session) return 'unknown';
    return session.expiresAt > this.store.now() ? 'ok' : 'expired';
  }

  /** Expires every OAuth access token issued so far (the private app token is unaffected). */
  expireOAuthTokens(): void {
    for (const session of this.oauthTokens.values()) session.expiresAt = 0;
  }

  /**
   * Custom properties of activity objects (notes, tasks, ...) and their groups: a portal has none
   * until an app creates them through the properties API, which works for any CRM object.
   * https://developers.hubspot.com/docs/api-reference/latest/crm/properties/guide
   */
  readonly activityProperties = new Map<string, Map<string, PropertyDefinition>>();
  readonly activityPropertyGroups = new Map<string, Set<string>>();

  customActivityProperty(type: string, name: string): PropertyDefinition | undefined {
    return this.activityProperties.get(type)?.get(name);
  }

  addCustomDealProperty(p: PropertyDefinition): void {
    this.dealProperties.set(p.name, p);
    this.customDealProperties.add(p.name);
  }
}
