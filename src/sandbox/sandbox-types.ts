/** The public shapes of a running sandbox (what `startSandbox` returns). */
import type { ActivityKind, Book, Planted, PlantedProblem, RepHabit } from './generator/book.js';
import type { Annotation, CallLogEntry } from './call-log.js';
import type { DeliveryAttempt } from './delivery.js';
import type { FaultRule } from './faults.js';

export interface SandboxHubSpotInfo {
  /** What `@hubspot/api-client` takes as `basePath`. */
  baseUrl: string;
  accessToken: string;
  /** The app's client secret: the key of X-HubSpot-Signature-v3. */
  webhookSecret: string;
  portalId: number;
  appId: number;
  /** OAuth (public app): client id, client secret (= webhookSecret) and the install's refresh token. */
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

export interface SandboxSalesforceInfo {
  /** What jsforce takes as `instanceUrl` (the sandbox origin; Salesforce paths start at /services). */
  instanceUrl: string;
  /** What jsforce takes as `loginUrl` (token endpoint at /services/oauth2/token). */
  loginUrl: string;
  apiVersion: string;
  accessToken: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  organizationId: string;
  /** Username the JWT bearer grant expects as `sub`. */
  username: string;
  /** Private key (PKCS#8 PEM) whose public half verifies JWT bearer assertions. */
  privateKeyPem: string;
}

export interface SandboxPlanted {
  hubspot: Planted;
  salesforce: Planted;
}

export interface SandboxState {
  hubspot: Book;
  salesforce: Book;
  readonly calls: readonly CallLogEntry[];
  readonly annotations: readonly Annotation[];
  readonly deliveries: readonly DeliveryAttempt[];
  counters(): Record<string, number>;
}

export interface SandboxAdmin {
  state: SandboxState;
  planted: SandboxPlanted;
  info(): { hubspot: SandboxHubSpotInfo; salesforce: Omit<SandboxSalesforceInfo, 'privateKeyPem'>; admin: string };
  now(): number;
  setClock(at: Date): void;
  advance(ms: number): void;
  changeStage(provider: 'hubspot' | 'salesforce', dealId: string, stage: string): void;
  addActivity(
    provider: 'hubspot' | 'salesforce',
    dealId: string,
    input: { kind: ActivityKind; direction?: 'inbound' | 'outbound'; at?: Date; completed?: boolean; subject?: string },
  ): string;
  deleteDeal(provider: 'hubspot' | 'salesforce', dealId: string): void;
  /** Creates a deal in the first stage of the main pipeline (HubSpot emits deal.creation); returns its id. */
  createDeal(
    provider: 'hubspot' | 'salesforce',
    input: { name: string; amount?: number | null; closeDate?: Date | null; ownerId?: string },
  ): string;
  injectFaults(rules: FaultRule[]): void;
  faults(): FaultRule[];
  resetLog(): void;
  expireSalesforceTokens(): void;
  /** Expires every HubSpot OAuth access token issued so far (the private app token stays valid). */
  expireHubSpotTokens(): void;
  /** Removes or adds custom fields of Opportunity (default) or Activity (Task and Event). */
  setSalesforceCustomFields(change: { remove: string[]; add: string[]; object?: 'Opportunity' | 'Activity' }): void;
  salesforceCustomFields(): string[];
  /** Waits until every queued webhook / outbound message has been delivered or given up. */
  drainDeliveries(): Promise<void>;
}

export interface Sandbox extends SandboxAdmin {
  hubspot: SandboxHubSpotInfo;
  salesforce: SandboxSalesforceInfo;
  /** Base URL of the admin surface (`<origin>/__sandbox`). */
  adminUrl: string;
  close(): Promise<void>;
}

export type { PlantedProblem, RepHabit };
