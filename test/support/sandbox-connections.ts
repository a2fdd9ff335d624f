/** Connection settings that point a connector at a running sandbox (its credentials and URLs). */
import { HubSpotConnection, SalesforceConnection } from '../../src/domain/model/index.js';
import type { Sandbox } from '../../src/sandbox/index.js';

/** A Salesforce connection to the sandbox with refresh-token auth; `overrides` replace any field. */
export function sandboxSalesforceConnection(sandbox: Sandbox, id: string, overrides: Record<string, unknown> = {}): SalesforceConnection {
  const sf = sandbox.salesforce;
  return SalesforceConnection.parse({
    id,
    provider: 'salesforce',
    instanceUrl: sf.instanceUrl,
    loginUrl: sf.loginUrl,
    apiVersion: sf.apiVersion,
    auth: { type: 'refreshToken', clientId: sf.clientId, clientSecret: sf.clientSecret, refreshToken: sf.refreshToken },
    organizationId: sf.organizationId,
    ...overrides,
  });
}

/** What a HubSpot connection needs of a sandbox: an in-process one, or the ready line of one in its own process. */
export interface SandboxHubSpot {
  accessToken: string;
  baseUrl: string;
  portalId: number | string;
  webhookSecret: string;
}

/** A HubSpot connection to the sandbox (private-app token, webhooks signed with its secret); `overrides` replace any field. */
export function sandboxHubSpotConnection(hubspot: SandboxHubSpot, id: string, overrides: Record<string, unknown> = {}): HubSpotConnection {
  return HubSpotConnection.parse({
    id,
    provider: 'hubspot',
    accessToken: hubspot.accessToken,
    baseUrl: hubspot.baseUrl,
    portalId: hubspot.portalId,
    webhookSecret: hubspot.webhookSecret,
    ...overrides,
  });
}
