/** Connection settings that point a connector at a running sandbox (its credentials and URLs). */
import { SalesforceConnection } from '../../src/domain/model/index.js';
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
